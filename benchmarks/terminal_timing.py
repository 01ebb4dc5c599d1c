"""Seconds from `exec` to a text appearing on a real pseudo-terminal (what a
person sees first, escape sequences and all taken out)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import termios
import time

_ESCAPES = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\\\)|\x1b[()][A-Z0-9]"
)


def time_to_text(argv: list[str], text: bytes, env: dict[str, str], timeout: float = 30) -> float:
    """Seconds from exec to ``text`` appearing on a 120×40 pseudo-terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once
        os.execve(argv[0], argv, env)
    started = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if text in _ESCAPES.sub(b"", seen):
                return time.perf_counter() - started
        raise RuntimeError(f"{argv[0]} never painted {text!r}")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
