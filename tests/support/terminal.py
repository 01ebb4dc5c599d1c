"""The real command in a pseudo-terminal: what a user's terminal would receive, byte for byte.

Escape output (desktop alerts) cannot be seen on a rendered screen: tests
read the raw bytes the app writes, and write what a terminal would send
(keys, focus reports ``ESC [ I`` / ``ESC [ O``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from tests.support.waiting import wait_for

FOCUS_IN, FOCUS_OUT = b"\x1b[I", b"\x1b[O"
#: Variables by which `auto` recognises a terminal: the test sets its own.
_TERMINAL_VARIABLES = (
    "TMUX",
    "TERM_PROGRAM",
    "KITTY_WINDOW_ID",
    "LC_TERMINAL",
    "WEZTERM_PANE",
    "WT_SESSION",
    "VTE_VERSION",
    "STY",
)


class Terminal:
    """A process on the slave side of a pty; everything it writes is kept in ``output``."""

    def __init__(self, process: subprocess.Popen[bytes], master: int) -> None:
        self.process = process
        self.master = master
        self.output = bytearray()

    def _read(self) -> None:
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child exited: the slave side is gone
            chunk = b""
        if not chunk:
            asyncio.get_running_loop().remove_reader(self.master)
        self.output += chunk

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    async def wait_for_output(self, needle: bytes, timeout: float = 15.0, start: int = 0) -> int:
        """Where ``needle`` first shows in the output at or after ``start``."""
        await wait_for(
            lambda: self.output.find(needle, start) >= 0 or self.process.poll() is not None,
            timeout,
            what=f"{needle!r} in the terminal's output",
        )
        at = self.output.find(needle, start)
        assert at >= 0, f"the app exited ({self.process.returncode}) before writing {needle!r}"
        return at

    def sequences(self, opener: bytes, terminator: bytes) -> list[bytes]:
        """Every ``opener … terminator`` span written so far (an alert's sequence)."""
        spans, at = [], 0
        while (start := self.output.find(opener, at)) >= 0:
            end = self.output.find(terminator, start + len(opener))
            if end < 0:
                break
            spans.append(bytes(self.output[start : end + len(terminator)]))
            at = end + len(terminator)
        return spans


@contextlib.asynccontextmanager
async def in_terminal(
    *args: str, home: Path, env: Mapping[str, str] = {}, size: tuple[int, int] = (120, 32)
) -> AsyncIterator[Terminal]:
    """`python -m tiri_tui ARGS` in a fresh pty of ``size`` (columns, rows)."""
    master, slave = os.openpty()
    columns, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in _TERMINAL_VARIABLES}
    environment.update({"TERM": "xterm-256color", "TIRI_HOME": str(home), **env})
    process = subprocess.Popen(
        [sys.executable, "-m", "tiri_tui", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environment,
        start_new_session=True,  # the pty becomes its controlling terminal
    )
    os.close(slave)
    terminal = Terminal(process, master)
    loop = asyncio.get_running_loop()
    loop.add_reader(master, terminal._read)
    try:
        yield terminal
    finally:
        loop.remove_reader(master)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        await asyncio.to_thread(process.wait)
        os.close(master)
