"""Running the real command line in a subprocess."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def spawn_cli(home: Path, *args: str, stdin: int | None = None) -> asyncio.subprocess.Process:
    """Start `python -m tiri_tui ARGS` with its own TIRI_HOME, stdout and stderr piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tiri_tui",
        *args,
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TIRI_HOME": str(home)},
    )
