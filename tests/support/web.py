"""`tiri-tui web` in-process for tests: textual-serve with the secret path, each
tab's dashboard a real `python -m tiri_tui … dashboard` against the demo server."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.cli import cli_login
from tiri_tui.commands.web_server import DashboardServer, dashboard_command, new_secret
from tiri_tui.server import DEMO_PASSWORD, DemoServer


@contextlib.asynccontextmanager
async def served(
    server: DemoServer, home: Path, monkeypatch: pytest.MonkeyPatch, *, logged_in: bool = True
) -> AsyncIterator[DashboardServer]:
    """A home (logged in, unless not), and the dashboard served on a free loopback port."""
    if logged_in:
        code, _, err = await cli_login(home, "--server", server.url, password=DEMO_PASSWORD)
        assert code == 0, err
    monkeypatch.setenv("TIRI_HOME", str(home))  # what each tab's dashboard reads
    web = DashboardServer(dashboard_command(["--server", server.url]), "127.0.0.1", 0, new_secret())
    runner = await web.start()
    try:
        yield web
    finally:
        await runner.cleanup()


def dashboards_running() -> list[int]:
    """Pids of this process's descendants that run a dashboard."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            commands[int(entry.name)] = (
                (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            )
    mine, found = {os.getpid()}, []
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                changed = True
    for pid in mine - {os.getpid()}:
        if "tiri_tui" in commands.get(pid, "") and "dashboard" in commands.get(pid, ""):
            found.append(pid)
    return found
