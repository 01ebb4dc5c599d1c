"""A clock the test moves by hand, with a sleep that ends when it has moved far enough."""

from __future__ import annotations

import asyncio


class FakeClock:
    """Monotonic seconds that pass only in :meth:`advance`."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Until the clock has been advanced by ``seconds``."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, waiter))
        await waiter

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [(at, w) for at, w in self._sleepers if at <= self.now]
        self._sleepers = [(at, w) for at, w in self._sleepers if at > self.now]
        for _, waiter in due:
            if not waiter.done():
                waiter.set_result(None)
