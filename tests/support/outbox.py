"""An outbox sync over a recording API, with the owner's tasks and a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.clock import FakeClock
from tiri_tui.sync.outbox_sync import OutboxSync
from tiri_tui.sync.store import Outbox


class RecordingApi:
    """Accepts every call and remembers it."""

    mark_all_route = None

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def paused_for(self) -> float:
        return 0.0  # never rate limited

    def when_login_required(self, watcher: Callable[[], None]) -> Callable[[], None]:
        return lambda: None  # no call here ever needs a login

    def __getattr__(self, name: str):
        async def call(target: str = "") -> None:
            self.calls.append((name, target))

        return call


class Tasks:
    """The owner's background tasks, for the sync to spawn into."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[None]] = set()

    def spawn(self, coro, name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return task

    async def settle(self) -> None:
        """Until every task that can run has run (the held ones sleep on)."""
        for _ in range(20):
            await asyncio.sleep(0)

    def cancel(self) -> None:
        for task in self.running:
            task.cancel()


async def run_now(call: Any, *args: Any, **kwargs: Any) -> Any:
    return call(*args, **kwargs)


def make_sync(path: Path, api: RecordingApi, clock: FakeClock, tasks: Tasks) -> OutboxSync:
    return OutboxSync(
        Outbox(path),
        api,  # type: ignore[arg-type]
        on_queued=lambda action, reason: None,
        on_all_read=lambda before: None,
        spawn=tasks.spawn,
        run_io=run_now,
        clock=clock,
        sleep=clock.sleep,
    )
