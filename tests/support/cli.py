"""Running the real command line in a subprocess."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer


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


async def cli_login(home: Path, *options: str, password: str) -> tuple[int, str, str]:
    """`tiri-tui [OPTIONS] login` as the demo user, the password on stdin:
    (exit code, stdout, stderr)."""
    from tiri_tui.server import DEMO_EMAIL

    login = await spawn_cli(
        home, *options, "login", "--email", DEMO_EMAIL, "--password-stdin", stdin=PIPE
    )
    out, err = await login.communicate(password.encode() + b"\n")
    assert login.returncode is not None
    return login.returncode, out.decode(), err.decode()


async def run_cli(home: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """`tiri-tui ARGS` to its end: (exit code, stdout, stderr)."""
    process = await spawn_cli(home, *args, stdin=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 30)
    return process.returncode, out.decode(), err.decode()


async def login(
    server: DemoServer, home: Path, password: str = DEMO_PASSWORD
) -> tuple[int, str, str]:
    """`tiri-tui login` as the demo user (the password on stdin)."""
    return await run_cli(
        home,
        "--server",
        server.url,
        "login",
        "--email",
        DEMO_EMAIL,
        "--password-stdin",
        stdin=password + "\n",
    )
