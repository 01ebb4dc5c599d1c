"""The logged-in dashboard in a pseudo-terminal, and notifications pushed to it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from tests.support.cli import cli_login
from tests.support.terminal import Terminal, in_terminal
from tests.support.waiting import wait_for
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer

#: Who sends each pushed notification, and what it says: every alert carries both.
SENDER, MESSAGE = "Ana", "Can you help on Saturday?"


@contextlib.asynccontextmanager
async def dashboard(
    server: DemoServer, home: Path, *args: str, env: dict[str, str] | None = None, config: str = ""
) -> AsyncIterator[Terminal]:
    """A logged-in dashboard in a pty, its socket subscribed, focus reporting on."""
    code, _, err = await cli_login(home, "--server", server.url, password=DEMO_PASSWORD)
    assert code == 0, err
    if config:
        (home / "config" / "config.toml").write_text(config)
    async with in_terminal("--server", server.url, *args, home=home, env=env or {}) as terminal:
        await terminal.wait_for_output(b"\x1b[?1004h")  # Textual asked for focus reports
        user = server.user(DEMO_EMAIL)
        await wait_for(lambda: server.hub.sockets(user), 15, what="the dashboard's socket")
        yield terminal


async def push(server: DemoServer, title: str, **fields: str) -> None:
    fields = {
        "priority": "normal",
        "notification_type": "request_accepted",
        "created_by_name": SENDER,
        "message": MESSAGE,
        **fields,
    }
    await server.create_notification(title=title, **fields)
