"""A fixed time zone for tests that read local time (day headers, the detail pane)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest


def in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``TZ=UTC`` for the test (a fixture body: wrap with ``pytest.fixture``)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
