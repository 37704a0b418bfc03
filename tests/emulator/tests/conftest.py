"""Fixtures: real ``python -m wa_emulator`` processes on 127.0.0.1, stopped after each test."""

from __future__ import annotations

import pytest

from wa_emulator.launcher import EmulatorProcess


@pytest.fixture
def emulator(tmp_path):
    """``emulator(*args, name="wa", **kwargs)`` starts one; every one started is stopped at the end."""
    started: list[EmulatorProcess] = []

    def start(*args: str, name: str = "wa", **kwargs) -> EmulatorProcess:
        emu = EmulatorProcess(tmp_path / name, list(args), **kwargs)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()
