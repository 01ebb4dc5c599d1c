"""UI test setup: a fixed time zone, so times in the detail pane are the same everywhere."""

from __future__ import annotations

import time

import pytest


@pytest.fixture(autouse=True)
def utc_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
