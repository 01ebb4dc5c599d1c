"""Chaos soak: nothing lost, nothing shown twice, every mark delivered, no spurious logout,
nothing leaked.

It runs twice: the tail alone, and the tail attached to a `tiri-tui agent`
that holds the connection (the agent then meets the faults).
CI runs about 100 faults with a new seed each run (printed: `TIRI_CHAOS_SEED=N`
replays it). `pytest tests/chaos/test_chaos.py --soak -s` runs 1,000 faults;
`--soak-seeds 20 --faults 300 -s` sweeps 20 seeds, a line each and a total.
`TIRI_CHAOS_ACCESS_LIFETIME=4` (seconds; 10 by default) makes access tokens
expire more often: more refreshes cut by faults, so more forced logouts and
retired controllers. Each failure says whose it is: the product's or the harness's.
"""

from __future__ import annotations

import os
import random

import pytest

from tests.support.chaos.harness import ACCESS_LIFETIME, Chaos
from tests.support.chaos.report import ChaosReport, failure_kind


def plan(request: pytest.FixtureRequest) -> tuple[list[int], int]:
    """The seeds to run and the faults in each."""
    base = int(os.environ.get("TIRI_CHAOS_SEED") or random.SystemRandom().randrange(1, 10**6))
    sweep = request.config.getoption("--soak-seeds")
    faults = request.config.getoption("--faults")
    if sweep:
        return [base + i for i in range(sweep)], faults or 300
    if request.config.getoption("--soak") or os.environ.get("TIRI_SOAK"):
        return [base], faults or int(os.environ.get("TIRI_SOAK_FAULTS", "1000"))
    return [base], faults or 100


@pytest.mark.parametrize("through_agent", [False, True], ids=["alone", "through-the-agent"])
async def test_chaos_soak(request, tmp_path, through_agent):
    seeds, faults = plan(request)
    lifetime = float(os.environ.get("TIRI_CHAOS_ACCESS_LIFETIME") or ACCESS_LIFETIME)
    print(
        f"\nchaos: {len(seeds)} seed(s) from {seeds[0]}, {faults} faults each, "
        f"{lifetime:g} s access tokens"
        + (", the tail attached to an agent that holds the connection" if through_agent else "")
    )
    reports: list[ChaosReport] = []
    for seed in seeds:
        try:
            report = await Chaos(
                faults, seed, tmp_path / f"seed-{seed}", lifetime, through_agent=through_agent
            ).run()
        except Exception as exc:  # one seed's crash must not hide the others' results
            report = ChaosReport(seed=seed, crashed=repr(exc)[:300], crash_kind=failure_kind(exc))
        reports.append(report)
        print(report.line() if len(seeds) > 1 else report.summary(), flush=True)
    failed = [r for r in reports if r.problems()]
    if len(seeds) > 1:
        print(
            f"total: {len(reports)} seeds, {sum(sum(r.faults.values()) for r in reports)} faults, "
            f"{sum(r.created for r in reports)} notifications, "
            f"{sum(r.marks + r.mark_alls for r in reports)} marks, "
            f"{sum(r.forced_logouts for r in reports)} forced logouts; "
            f"{len(failed)} failed"
        )
    assert not failed, "; ".join(
        f"TIRI_CHAOS_SEED={r.seed} reproduces: {', '.join(r.problems())} ({r.summary()})"
        for r in failed
    )
