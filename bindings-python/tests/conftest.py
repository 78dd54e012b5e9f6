"""Shared fixtures: fixed identities and a reproducible clock, as in the Rust suite."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from cercle import Identity, SteppingClock, Workspace

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "testdata" / "golden"


def ident(n: int) -> Identity:
    """The identity whose secret key is 32 bytes of `n`."""
    return Identity.from_secret_bytes(bytes([n] * 32))


def clock() -> SteppingClock:
    """The clock of the Rust suite: 2010-02-23T12:25:00Z, one second per reading."""
    return SteppingClock(datetime(2010, 2, 23, 12, 25, tzinfo=timezone.utc), step_ms=1000)


def copy_for(ws: Workspace, n: int) -> Workspace:
    """A copy of `ws` for identity `n`."""
    return Workspace.load(ident(n), ws.save(), clock=clock())


@pytest.fixture
def ws() -> Workspace:
    """A workspace founded by identity 1."""
    return Workspace.create(ident(1), "Juste à temps", clock=clock())
