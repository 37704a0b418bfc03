# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the unit tests; the test doubles live in wa_fake_api.py."""

import socket
import ssl
import sys
from pathlib import Path

import pytest

try:
    import ansible_collections.wabiz.migration  # noqa: F401 pylint: disable=unused-import
except ImportError:  # run from the checkout: the collection is linked by scripts/setup-venv.sh
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".collections"))

from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import (
    FakeWA,
    Handler,
    RawServer,
    Server,
    make_tls,
    serve,
)


@pytest.fixture
def fake_wa():
    """The fake API over plain HTTP; ``fake_wa.url`` is its api_url."""
    wa = FakeWA()
    server = Server(("127.0.0.1", 0), Handler)
    server.wa = wa
    serve(server)
    wa.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield wa
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_wa_tls(tls):
    """The fake API over HTTPS with a certificate of the private CA ``tls.ca``."""
    wa = FakeWA()
    server = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.wa = wa
    serve(server)
    wa.url = f"https://localhost:{server.server_address[1]}"
    yield wa
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def raw_server():
    servers = []

    def make(behaviour, context=None):
        server = RawServer(behaviour, context)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def free_port():
    """A port on 127.0.0.1 where nothing listens."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
