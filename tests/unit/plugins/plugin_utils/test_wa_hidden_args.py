# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the secret-hiding module arguments (the whole run: tests/integration/test_role_secrets.py)."""

import json

from ansible_collections.wabiz.migration.plugins.plugin_utils.wa_hidden_args import HiddenStr, hide_secrets

ARGS = {
    "api_url": "https://wa.example.com",
    "password": "Adm1n-pass!",
    "token": "eyJhbGciOiJIUzI1NiJ9.e30.sig",
    "backup_password": "Bkp-pass-1!",
    "data": "V0FCSzE=",
    "retries": 3,
}


def test_secrets_print_masked_but_keep_their_value():
    hidden = hide_secrets(ARGS)
    shown = "%s" % (hidden,)  # noqa: UP031 - the way ansible-core prints module arguments under ANSIBLE_DEBUG
    for key in ("password", "token", "backup_password", "data"):
        assert ARGS[key] not in shown
        assert hidden[key] == ARGS[key] and isinstance(hidden[key], HiddenStr)
    assert "'api_url': 'https://wa.example.com'" in shown and "'retries': 3" in shown
    assert json.loads(json.dumps(hidden)) == ARGS  # what the module receives


def test_other_values_and_the_task_args_are_left_alone():
    args = dict(ARGS, token=None)
    hidden = hide_secrets(args)
    assert hidden["token"] is None and hidden["api_url"].__class__ is str
    assert args == dict(ARGS, token=None) and args["password"].__class__ is str
