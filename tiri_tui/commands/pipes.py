"""When a pipeline's reader goes away (``| head``): end as shell tools do."""

from __future__ import annotations

import contextlib
import os
import sys


def quiet_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush on
    the way out cannot raise BrokenPipeError again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
