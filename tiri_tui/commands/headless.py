"""What the headless commands (`tail`, `count --watch`) share: when to stop,
and how their lines reach a pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from typing import TextIO

from tiri_tui.commands.pipes import quiet_stdout
from tiri_tui.sync.controller import NotificationController


def stop_on_session_end_or_signal(controller: NotificationController, stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT/SIGTERM, or when only a new login can help (a
    headless command then exits 2 saying so)."""
    controller.subscribe(lambda _event: stop.set() if controller.needs_login else None)
    on_signal(stop)


def on_signal(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT/SIGTERM."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)


class LineOutput:
    """Lines to a stream, each flushed at once (a pipeline sees them as they come).

    When the reader goes away (``| head``), the command ends quietly, exit 0,
    as shell tools do: ``closed`` is set, ``on_closed`` runs (it stops the
    command), and standard output is pointed at /dev/null so that the
    interpreter's last flush cannot fail again on the way out.
    """

    def __init__(self, out: TextIO, on_closed: Callable[[], object] | None = None) -> None:
        self.out = out
        self.on_closed = on_closed
        self.closed = False

    def write(self, line: str) -> None:
        if self.closed:
            return
        try:
            self.out.write(line + "\n")
            self.out.flush()
        except BrokenPipeError:
            self.closed = True
            if self.on_closed is not None:
                self.on_closed()
            if self.out is sys.stdout:
                quiet_stdout()
