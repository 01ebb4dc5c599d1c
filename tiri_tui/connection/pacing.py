"""Letting the event loop in during long runs of work (bursts, mark all read)."""

from __future__ import annotations

import asyncio


async def let_others_run() -> None:
    """Yield so that everything already waiting runs before this task goes on.

    One ``sleep(0)`` is not enough: asyncio runs the callbacks that were ready
    when an iteration began, and a timer that fell due during our slice (a
    key, a paint, another task's wake-up) is queued behind our own wake-up, so
    it would wait a second slice. Yielding twice puts it ahead.
    """
    await asyncio.sleep(0)
    await asyncio.sleep(0)
