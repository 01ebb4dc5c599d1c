"""A lock file beside a stored session, so that one process at a time refreshes it.

The dashboard, `tail`, `count` and scripts share one stored session. Servers
that rotate refresh tokens blacklist the used one at once, so two processes
refreshing with the same token get one of them refused — and a reused,
rotated-out token is what a token thief sends: some deployments revoke the
whole session for it. Holding this lock from reading the stored session to
storing the refreshed one makes refresh single-flight across processes, as the
token caches of other command-line tools do.

The lock is an advisory ``flock`` (``msvcrt.locking`` on Windows) on a small
file of its own: the kernel drops it when its holder exits or crashes, so a
dead process never leaves it held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

log = logging.getLogger(__name__)

#: How long to wait for another process's refresh before going ahead without
#: the lock (its holder may be stopped, e.g. a dashboard suspended by Ctrl-Z):
#: longer than a refresh can take with the HTTP timeouts.
PATIENCE = 30.0
#: How often to try again while another process holds the lock.
POLL_INTERVAL = 0.01


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def _close_when_opened(opening: asyncio.Future[int]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        os.close(opening.result())


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class SessionLock:
    """An exclusive lock across processes on ``path`` (created 0600 when missing).

    It is tried without blocking and tried again every few milliseconds, never
    waited for on a thread: a blocked thread could not be cancelled, and
    would take the lock after its waiter had gone, holding it until exit.
    """

    def __init__(
        self, path: Path, *, patience: float = PATIENCE, poll_interval: float = POLL_INTERVAL
    ) -> None:
        self.path = path
        self.patience = patience
        self.poll_interval = poll_interval

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Hold the lock for the ``async with`` block (after ``patience``, go on without it)."""
        # Creating the file (and its directory) is disk I/O: on a thread. If
        # the waiter is cancelled meanwhile, the descriptor is closed when made.
        opening = asyncio.ensure_future(asyncio.to_thread(_open, self.path))
        try:
            fd = await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(_close_when_opened)
            raise
        try:
            await self._take(fd)
            yield
        finally:
            # Closing the descriptor releases the lock; it is a local file's
            # descriptor, so closing returns at once.
            os.close(fd)

    async def _take(self, fd: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        waiting = False
        # A non-blocking try returns at once: safe on the event loop.
        while not _try_lock(fd):
            if not waiting:
                waiting = True
                log.debug("waiting for another process's refresh of the session (%s)", self.path)
            if loop.time() >= deadline:
                log.warning(
                    "another process has held %s for %.0f s; refreshing the session without it",
                    self.path,
                    self.patience,
                )
                return
            await asyncio.sleep(self.poll_interval)
