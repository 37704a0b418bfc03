# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""GraphModule: an APIModule (wa_module) with the Graph options (doc fragment ``wabiz.migration.graph``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.wabiz.migration.plugins.module_utils.wa_graph_client import (
    DEFAULT_GRAPH_API_VERSION,
    DEFAULT_GRAPH_URL,
    GraphClient,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import APIModule, credential_problems

GRAPH_ARGSPEC = dict(
    graph_url=dict(type="str", default=DEFAULT_GRAPH_URL, fallback=(env_fallback, ["WA_GRAPH_URL"])),
    graph_api_version=dict(
        type="str", default=DEFAULT_GRAPH_API_VERSION, fallback=(env_fallback, ["WA_GRAPH_API_VERSION"])
    ),
    access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["WA_GRAPH_ACCESS_TOKEN"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["WA_GRAPH_VALIDATE_CERTS"])),
    ca_path=dict(type="path", fallback=(env_fallback, ["WA_GRAPH_CA_PATH"])),
    timeout=dict(type="float", default=30, fallback=(env_fallback, ["WA_GRAPH_TIMEOUT"])),
)


class GraphModule(APIModule):
    """An APIModule with the Graph options, a GraphClient in ``self.client`` and error handling."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = dict((k, dict(v)) for k, v in GRAPH_ARGSPEC.items())
        spec.update(argument_spec or {})
        super(GraphModule, self).__init__(argument_spec=spec, **kwargs)
        if not self.params["access_token"]:
            self.fail_json(
                msg="access_token is required: give a system user access token with whatsapp_business_management, "
                "or set WA_GRAPH_ACCESS_TOKEN."
            )
        problems = credential_problems(self.params, names=("access_token",))
        if problems:
            self.fail_json(msg="%s Nothing was done." % " ".join(problems))
        if not self.params["validate_certs"]:
            self.warn(
                "validate_certs is false: the Graph API's TLS certificate is not verified, so anyone on the path can "
                "read the access token and the backup. Prefer ca_path."
            )
        for name in self.id_options():
            value = self.params.get(name)
            if value is not None and not (value.isdigit() and 0 < len(value) <= 30):
                self.fail_json(
                    msg="%s %r is not a Graph ID (digits only): copy it from WhatsApp Manager or the API Setup page."
                    % (name, value)
                )

    @staticmethod
    def id_options():
        return ("phone_number_id", "waba_id")

    def new_client(self):
        return GraphClient(
            graph_url=self.params["graph_url"],
            api_version=self.params["graph_api_version"],
            access_token=self.params["access_token"],
            validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"],
            timeout=self.params["timeout"],
        )
