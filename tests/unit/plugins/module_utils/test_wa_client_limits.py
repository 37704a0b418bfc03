# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of wa_client's limits, on real sockets: one deadline per exchange and per call (a server
that drips its answer is cut at it), a size limit for every answer that is not streamed to a file,
and no user information in api_url."""

import signal
import socket
import threading
import time
import tracemalloc

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import (
    USER_INFO_MESSAGE,
    WAApiError,
    WAClient,
    safe_url,
    url_user_info,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_deadline import Deadline, DeadlineReached

TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.sig-abcdefghijklmnop"
HEALTH = b'{"health": {"gateway_status": "connected"}, "meta": {"version": "v2.45.1"}}'


def client_of(server, **kwargs):
    kwargs.setdefault("retries", 0)
    kwargs.setdefault("timeout", 2)
    return WAClient(f"http://127.0.0.1:{server.port}", token=TOKEN, **kwargs)


def quietly(send):
    """Run ``send``; the client closing the connection ends it (that is what the tests want)."""
    try:
        send()
    except OSError:
        pass


def drip_body(conn, _request):
    """Headers at once, then a 100-byte body one byte every 0.5 s (50 s in all)."""

    def send():
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        for _byte in range(100):
            time.sleep(0.5)
            conn.sendall(b" ")

    quietly(send)


def drip_headers(conn, _request):
    """The status line and headers themselves, one byte every 0.5 s."""

    def send():
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaa\r\n":
            time.sleep(0.5)
            conn.sendall(bytes([byte]))

    quietly(send)


def elapsed(function):
    started = time.monotonic()
    try:
        function()
    except WAApiError as exc:
        return time.monotonic() - started, exc
    raise AssertionError("no error")


@pytest.mark.parametrize("behaviour", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_dripping_answer_is_cut_at_the_deadline(raw_server, behaviour):
    server = raw_server(behaviour)
    took, error = elapsed(client_of(server, timeout=2).health)
    assert 1.9 <= took < 3.5, took  # one deadline for the exchange (50 s of answer), not 0.5 s of silence at a time
    assert error.kind == "timeout" and error.transient
    assert "did not complete within 2s (connecting, sending and the whole answer)" in str(error)
    assert "raise timeout" in str(error)


def test_a_call_given_a_timeout_keeps_to_it_with_its_retries(raw_server):
    """health(timeout=) is a wait's per-call budget: a dripping answer is cut at it, whatever client.timeout is."""
    server = raw_server(drip_body)
    client = client_of(server, timeout=30, retries=3, retry_backoff=0.1)
    took, error = elapsed(lambda: client.health(timeout=3))
    assert 2.9 <= took < 4.5, took
    assert error.kind == "timeout"
    assert len(server.requests) == 1  # no time left for a retry


def test_no_retry_is_begun_when_its_backoff_would_pass_the_budget(raw_server):
    def unavailable(conn, _request):
        conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    server = raw_server(unavailable)
    client = client_of(server, retries=5, retry_backoff=1)
    took, error = elapsed(lambda: client.health(timeout=2.5))
    assert error.status == 503
    assert len(server.requests) == 2  # at 0 s and after 1 s; the next wait (2 s) would pass the 2.5 s
    assert took < 2.5, took


def test_without_a_budget_each_attempt_has_its_own_deadline(raw_server):
    server = raw_server(drip_body)
    client = client_of(server, timeout=1, retries=1, retry_backoff=0.1)
    took, _error = elapsed(client.health)
    assert 2.0 <= took < 4, took
    assert len(server.requests) == 2


def test_the_deadline_holds_where_it_cannot_be_armed(raw_server):
    """Outside the main thread no timer: each socket operation is still cut to what remains."""
    server = raw_server(lambda conn, request: time.sleep(5))
    outcome = {}

    def call():
        outcome["took"], outcome["error"] = elapsed(client_of(server, timeout=1).health)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(10)
    assert outcome["error"].kind == "timeout" and outcome["took"] < 2.5


def big_answer(total, announce=False):
    """A 200 answer of ``total`` bytes sent as fast as the client reads, with or without Content-Length."""

    def behaviour(conn, _request):
        def send():
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            head += b"Content-Length: %d\r\n" % total if announce else b"Connection: close\r\n"
            conn.sendall(head + b"\r\n" + b'{"health": {"pad": "')
            block = b"a" * (1024 * 1024)
            for _block in range(total // len(block)):
                conn.sendall(block)
            conn.shutdown(socket.SHUT_WR)

        quietly(send)

    return behaviour


def test_a_huge_answer_is_refused_at_the_limit_with_bounded_memory(raw_server):
    server = raw_server(big_answer(400 * 1024 * 1024))
    client = client_of(server, max_answer_size=2 * 1024 * 1024)
    tracemalloc.start()
    try:
        took, error = elapsed(client.health)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.kind == "too_large" and not error.transient
    assert "is larger than 2097152 bytes, the most read of an answer that is not a backup" in str(error)
    assert "check it" in str(error)
    assert peak < 8 * 1024 * 1024, peak  # the limit and a chunk or two, not the 400 MB
    assert took < 5


def test_an_announced_size_above_the_limit_is_refused_without_reading(raw_server):
    server = raw_server(big_answer(64 * 1024 * 1024, announce=True))
    took, error = elapsed(client_of(server, max_answer_size=1024 * 1024).health)
    assert error.kind == "too_large" and "is announced as 67108864 bytes, more than 1048576 bytes" in str(error)
    assert took < 2


def test_the_default_limit_reads_the_api_answers(raw_server):
    def answer(conn, _request):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(HEALTH), HEALTH)
        )

    server = raw_server(answer)
    assert client_of(server).health() == {"gateway_status": "connected"}


@pytest.mark.parametrize(
    ("url", "info", "safe"),
    [
        ("http://admin:secret@wa:443/x", "admin:secret", "http://wa:443/x"),
        ("https://tok3n@wa", "tok3n", "https://wa"),
        ("admin:secret@wa:443", "admin:secret", "wa:443"),
        ("https://wa:443/a@b", None, "https://wa:443/a@b"),
        ("https://wa:443?x=a@b", None, "https://wa:443?x=a@b"),
        ("https://wa.example.com:443", None, "https://wa.example.com:443"),
    ],
)
def test_user_information_is_found_with_or_without_a_scheme(url, info, safe):
    assert url_user_info(url) == info
    assert safe_url(url) == safe


@pytest.mark.parametrize("url", ["http://admin:S3cr3t@wa:443", "admin:S3cr3t@wa:443", "ftp://admin:S3cr3t@wa"])
def test_a_url_with_user_information_is_refused_before_any_call(url):
    with pytest.raises(WAApiError) as info:
        WAClient(url, password="x")
    assert str(info.value) == USER_INFO_MESSAGE
    assert "S3cr3t" not in repr(info.value.to_dict()) and info.value.sent is False


def test_deadline_guard_restores_the_earlier_handler_and_timer():
    def mine(_signum, _frame):
        raise AssertionError("not expected")

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        with Deadline(5).guard():
            pass
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        with pytest.raises(DeadlineReached):
            with Deadline(0.2).guard():
                time.sleep(3)
        assert signal.getsignal(signal.SIGALRM) is mine
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_an_inner_deadline_is_never_later_than_the_outer_one():
    outer = Deadline(1)
    assert Deadline(10, outer=outer).remaining() <= 1
    assert Deadline(0.5, outer=outer).remaining() <= 0.5
    assert Deadline(10, outer=outer).cap(30) <= 1
    assert Deadline(0).cap(30) == 0.001
