"""A loop-stall probe: how late the event loop wakes a ticker that asks for 5 ms.

Whatever blocks the loop (a save, a walk over every row, a long paint, a
garbage collection) shows up here, whenever it happens, independent of what
the scenario itself times.
"""

from __future__ import annotations

import asyncio
import time
from typing import Self

from benchmarks.common import percentile


class StallProbe:
    """``async with StallProbe() as probe:`` around a scenario; then ``probe.summary()``."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.lateness: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.lateness.append(max(0.0, time.perf_counter() - asked - self.interval))

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def summary(self) -> dict[str, float]:
        """Worst and p99 lateness, in ms (0 when nothing was measured)."""
        values = self.lateness or [0.0]
        return {
            "worst_ms": max(values) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "ticks": len(self.lateness),
        }
