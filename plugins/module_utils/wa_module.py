# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""WAModule: WABaseModule (every option checked up front, see wa_module_base) and a ready WAClient.

``WAModule``, like community.hashi_vault's HashiVaultModule, adds the connection options
(documented once in the ``wabiz.migration.connection`` doc fragment), checks them (an api_url
with user information, credentials that HTTP cannot carry), builds the client and turns a
WAApiError into ``fail_json``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    USER_INFO_MESSAGE,
    WAApiError,
    WAClient,
    url_user_info,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module_base import WABaseModule

CONNECTION_ARGSPEC = dict(
    api_url=dict(type="str", fallback=(env_fallback, ["WA_API_URL"])),
    username=dict(type="str", default="admin", fallback=(env_fallback, ["WA_API_USERNAME"])),
    password=dict(type="str", no_log=True, fallback=(env_fallback, ["WA_API_PASSWORD"])),
    token=dict(type="str", no_log=True, fallback=(env_fallback, ["WA_API_TOKEN"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["WA_API_VALIDATE_CERTS"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["WA_API_CA_PATH"])),
    timeout=dict(type="float", default=30, fallback=(env_fallback, ["WA_API_TIMEOUT"])),
    retries=dict(type="int", default=3),
    retry_backoff=dict(type="float", default=0.5),
)

CONNECTION_REQUIRED_ONE_OF = [["password", "token"]]


def connection_argspec(**kwargs):
    """The connection options merged with a module's own options (a new dict)."""
    spec = dict((k, dict(v)) for k, v in CONNECTION_ARGSPEC.items())
    spec.update(kwargs)
    return spec


def credential_problems(params, names=("username", "password", "token")):
    """Why the credentials ``names`` cannot be sent over HTTP (basic auth, bearer header), or []; never quoting them."""
    problems = []
    for name in names:
        value = params.get(name)
        if not value:
            continue
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            problems.append(
                "%s has characters outside Latin-1 (ISO-8859-1), which HTTP basic auth and headers cannot carry: "
                "the API could never receive it as it is." % name
            )
            continue
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            problems.append("%s holds a control character (a line break?), which HTTP cannot carry." % name)
    if ":" in (params.get("username") or ""):
        problems.append("username holds ':', which basic auth cannot carry (it separates the user from the password).")
    return problems


class APIModule(WABaseModule):
    """A WABaseModule with an API client in ``self.client``, built by ``new_client()`` on first use, and
    a WAApiError turned into ``fail_json``; WAModule (on-prem API) and wa_graph_module.GraphModule build on it."""

    def __init__(self, argument_spec=None, **kwargs):
        super(APIModule, self).__init__(argument_spec=argument_spec, **kwargs)
        self._client = None
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)

    def new_client(self):
        raise NotImplementedError

    @property
    def client(self):
        """The client, built on first use (so that argument errors come before any connection)."""
        if self._client is None:
            try:
                self._client = self.new_client()
            except WAApiError as exc:
                self.fail_from(exc)
        return self._client

    def fail_from(self, exc, **result):
        """fail_json from a WAApiError: its message, and its fields under ``error``."""
        self.fail_json(msg=str(exc), error=exc.to_dict(), **result)

    def run(self, function):
        """Call ``function()``; a WAApiError becomes fail_json."""
        try:
            return function()
        except WAApiError as exc:
            self.fail_from(exc)


class WAModule(APIModule):
    """An AnsibleModule with the connection options, a WAClient in ``self.client`` and error handling."""

    def __init__(self, argument_spec=None, required_one_of=None, **kwargs):
        spec = connection_argspec(**(argument_spec or {}))
        one_of = list(CONNECTION_REQUIRED_ONE_OF) + list(required_one_of or [])
        super(WAModule, self).__init__(argument_spec=spec, required_one_of=one_of, **kwargs)
        api_url = self.params.get("api_url")
        if not api_url:
            self.fail_json(
                msg="api_url is required: give the client's URL (e.g. https://wa.example.com:443) or set WA_API_URL."
            )
        if url_user_info(api_url) is not None:
            self.fail_json(msg=USER_INFO_MESSAGE)
        problems = credential_problems(self.params)
        if problems:
            self.fail_json(msg="%s Nothing was sent." % " ".join(problems))
        if not self.params["validate_certs"]:
            self.warn(
                "validate_certs is false: the client's TLS certificate is not verified, so anyone on the path can "
                "read the password and the backup. Prefer ca_path with the client's CA certificate."
            )

    def new_client(self):
        return WAClient(
            api_url=self.params["api_url"],
            username=self.params["username"],
            password=self.params["password"],
            token=self.params["token"],
            validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"],
            timeout=self.params["timeout"],
            retries=self.params["retries"],
            retry_backoff=self.params["retry_backoff"],
        )
