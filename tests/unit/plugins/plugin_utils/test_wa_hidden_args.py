# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the secret-hiding module arguments (the whole run: tests/integration/test_role_secrets.py)."""

import importlib
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wabiz.migration.plugins.plugin_utils.wa_hidden_args import (
    SECRET_OPTIONS,
    HiddenStr,
    hide_secrets,
)

ROOT = Path(__file__).resolve().parents[4]

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


class SpecSeen(Exception):
    """Stops a module's main() once its argument spec is known."""


def argument_spec_of(name, monkeypatch):
    """The argument spec module ``name`` builds in its main(), as AnsibleModule receives it."""
    seen = {}

    def capture(self, argument_spec, **_kwargs):
        seen.update(argument_spec)
        raise SpecSeen()

    monkeypatch.setattr(AnsibleModule, "__init__", capture)
    module = importlib.import_module("ansible_collections.wabiz.migration.plugins.modules." + name)
    with pytest.raises(SpecSeen):
        module.main()
    return seen


def no_log_options(spec, prefix=""):
    """The options of ``spec`` with no_log set, suboptions as ``parent.option``."""
    found = set()
    for name, option in spec.items():
        if option.get("no_log"):
            found.add(prefix + name)
        found |= no_log_options(option.get("options") or {}, prefix + name + ".")
    return found


def test_secret_options_are_the_no_log_options_of_the_modules_routed_to_the_action_plugin(monkeypatch):
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    routed = {
        name
        for name, route in runtime["plugin_routing"]["modules"].items()
        if route == {"action_plugin": "wabiz.migration.wa_api_module"}
    }
    modules = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("wa_*.py"))
    secrets = {name: no_log_options(argument_spec_of(name, monkeypatch), "") for name in modules}

    # Every module with a secret runs through the action plugin, and only those do.
    assert routed == {name for name, options in secrets.items() if options}
    # The plugin hides exactly their no_log options, all of them top-level (hide_secrets looks no deeper).
    assert set(SECRET_OPTIONS) == set().union(*secrets.values())
    assert len(SECRET_OPTIONS) == len(set(SECRET_OPTIONS))
