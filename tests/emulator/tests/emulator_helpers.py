"""Helpers of the emulator's own tests (a unique module name: no clash with other test trees)."""

from __future__ import annotations

import time

import pytest

BACKUP_PASSWORD = "Backup-Pa55phrase!"


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(interval)


def error_of(body) -> dict:
    """The first error of an error envelope (and check the envelope's shape)."""
    assert isinstance(body, dict), body
    assert body["meta"] == {"api_status": "stable", "version": body["meta"]["version"]}
    assert isinstance(body["errors"], list) and len(body["errors"]) == 1, body
    err = body["errors"][0]
    assert set(err) == {"code", "title", "details"}, err
    return err
