"""Chaos soak: nothing lost, nothing shown twice, every mark delivered, nothing leaked.

CI runs about 100 faults; `pytest --soak tests/chaos` (or TIRI_SOAK=1) runs 1,000.
"""

from __future__ import annotations

import os

import pytest

from tests.chaos.harness import Chaos


def fault_count(request: pytest.FixtureRequest) -> int:
    if request.config.getoption("--soak") or os.environ.get("TIRI_SOAK"):
        return int(os.environ.get("TIRI_SOAK_FAULTS", "1000"))
    return 100


async def test_chaos_soak(request, tmp_path):
    seed = int(os.environ.get("TIRI_CHAOS_SEED", "20261125"))
    report = await Chaos(fault_count(request), seed, tmp_path).run()
    print("\nchaos:", report.summary())
    assert report.created > 0 and report.marks > 0
    assert report.lost == []
    assert report.tail_duplicates == []
    assert report.tail_missing == []
    assert report.read_state_mismatches == []
    assert report.marks_not_on_server == []
    assert report.leaked_tasks == 0
    assert report.leaked_fds == 0
    assert report.leaked_connections == 0
    assert report.machinery_growth_mb < 5, report.summary()
