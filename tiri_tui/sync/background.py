"""The controller's background work: its tasks and the one store thread.

Every task an executor starts runs here, so closing ends all of them; every
blocking store call runs on one thread, in the order asked, so the event
loop never waits on a disk and the databases see one caller at a time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar, cast

from tiri_tui.wire.errors import NotLoggedIn

log = logging.getLogger(__name__)
T = TypeVar("T")


async def _nothing() -> None:
    """What a closing owner runs instead of the work asked of it."""


class Background:
    """Tasks that end when their owner closes, and the store thread."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        #: Tasks that ended in an exception (none should, ever).
        self.failures: list[str] = []
        self._store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tiri-store")

    @property
    def store_thread(self) -> Executor:
        return self._store_thread

    async def run_io(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store call on the store thread, in the order asked."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._store_thread, functools.partial(call, *args, **kwargs)
        )

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run ``coro`` as a background task (ended by :meth:`cancel_all`).

        Once closing, ``coro`` never runs (the stores are being closed): the
        task returned has nothing to do and ends at once.
        """
        if self._closing:
            coro.close()
            log.debug("not starting %s: the controller is closing", name)
            return cast("asyncio.Task[T]", asyncio.ensure_future(_nothing()))
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._note_crash)
        return task

    def live(self) -> int:
        """Tasks still alive (for leak checks)."""
        return sum(1 for t in self._tasks if not t.done())

    def close(self) -> None:
        """Start nothing from here on."""
        self._closing = True

    async def cancel_all(self, rounds: int, grace: float) -> None:
        """Cancel what still runs, in up to ``rounds`` rounds (a task cancelled
        as it was resuming may need another); one that would not end is named
        in the log and left behind: it must not hold the program's exit up."""
        for _ in range(rounds):
            running = [task for task in self._tasks if not task.done()]
            if not running:
                break
            for task in running:
                task.cancel()
            await asyncio.wait(running, timeout=grace)
        if stuck := sorted(t.get_name() for t in self._tasks if not t.done()):
            log.error("tasks still running after the controller closed: %s", ", ".join(stuck))

    def shutdown(self) -> None:
        """Let the store thread go (idle: every call to it was awaited)."""
        self._store_thread.shutdown(wait=False)

    def _note_crash(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        self.failures.append(f"{task.get_name()}: {exc!r}")
        if not isinstance(exc, NotLoggedIn):
            log.error("background task %s failed: %r", task.get_name(), exc)
