"""Yielding in long runs of work lets what fell due run before the next slice."""

from __future__ import annotations

import asyncio
import time

from tiri_tui.connection.pacing import let_others_run


async def test_a_timer_due_during_a_slice_runs_before_the_next_slice():
    order: list[str] = []
    loop = asyncio.get_running_loop()

    async def slices() -> None:
        loop.call_later(0.001, order.append, "timer")  # falls due during the slice
        spin_until = time.perf_counter() + 0.01
        while time.perf_counter() < spin_until:  # a slice of work holding the loop
            pass
        await let_others_run()
        order.append("next slice")

    await slices()
    assert order == ["timer", "next slice"]
