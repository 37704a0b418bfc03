"""wa_endpoint: the address and port a URL reaches, whatever its spelling."""

import socket

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils import wa_endpoint


def fake_dns(table):
    def getaddrinfo(host, port, family=0, type=0):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port)) for a in table[host]]

    return getaddrinfo


DNS = fake_dns({"wa.example.com": ["192.0.2.10"], "alias.example.com": ["192.0.2.10", "2001:db8::1"]})


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://wa.example.com", "192.0.2.10:443"),
        ("https://alias.example.com:443/", "192.0.2.10:443"),  # IPv4 first
        ("http://wa.example.com", "192.0.2.10:80"),
        ("https://unknown.example.com:8443", "unknown.example.com:8443"),  # unresolved: its name
        ("https://user:pw@WA.EXAMPLE.COM.:443", "192.0.2.10:443"),
        ("not a url", None),
    ],
)
def test_endpoint_key(url, key):
    assert wa_endpoint.endpoint_key(url, getaddrinfo=DNS) == key


def test_loopback_spellings_are_one_endpoint():
    keys = {
        wa_endpoint.endpoint_key(u) for u in ("https://localhost:9443", "https://127.0.0.1:9443", "https://[::1]:9443")
    }
    assert keys == {"127.0.0.1:9443"}
