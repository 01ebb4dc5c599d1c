"""UI test setup: a fixed time zone, so times in the detail pane are the same everywhere."""

from __future__ import annotations

import pytest

from tests.support.timezone import in_utc

utc_time_zone = pytest.fixture(autouse=True)(in_utc)
