"""A process sharing the stored session, as `count`, `tail` and scripts do.

Run as ``python -m tests.support.session_sharer SERVER HOME``: it loads the
stored session (the real Auth and token store of the command line), prints
``ready``, then for every line read asks for an access token and the unread
count with it, and prints ``ok N`` or ``error <kind>``. At the end of its
input it exits 0 if every answer was ``ok``, else 2. Reading a line per round
lets a test start every process's refresh at the same moment.
"""

from __future__ import annotations

import asyncio
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

from tiri_tui.client import TiriClient
from tiri_tui.settings.config import Settings
from tiri_tui.wire.errors import TiriError

REPO = Path(__file__).resolve().parents[2]


async def spawn_session_sharer(server: str, home: Path) -> asyncio.subprocess.Process:
    """Start one sharer with its stdin and stdout piped (stderr too, for failures)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.session_sharer",
        server,
        str(home),
        cwd=REPO,
        stdin=PIPE,
        stdout=PIPE,
        stderr=PIPE,
    )


async def _serve(server: str, home: Path) -> int:
    failed = False
    async with TiriClient(Settings(server=server, home=home), http_timeout=5.0) as client:
        print("ready", flush=True)
        while await asyncio.to_thread(sys.stdin.readline):
            try:
                await client.auth.access_token()
                count = await client.api.unread_count()
            except TiriError as exc:
                failed = True
                print(f"error {type(exc).__name__}", flush=True)
            else:
                print(f"ok {count}", flush=True)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_serve(sys.argv[1], Path(sys.argv[2]))))
