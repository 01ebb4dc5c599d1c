"""An agent for the tests: in this process (to watch its insides and the
server's sockets), or as a real `tiri-tui agent` process (to kill it)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

from tests.support.cli import spawn_cli
from tests.support.clients import make_client
from tests.support.waiting import wait_for
from tiri_tui.agent.endpoint import socket_path
from tiri_tui.agent.link import attach
from tiri_tui.agent.os_alerts import Notifier
from tiri_tui.agent.running import prepare, serve
from tiri_tui.agent.service import AgentService
from tiri_tui.server import DemoServer
from tiri_tui.settings.config import Settings


def settings_for(server: DemoServer, home: Path) -> Settings:
    return Settings(server=server.url, home=home)


@contextlib.asynccontextmanager
async def agent_in_process(
    server: DemoServer,
    home: Path,
    *,
    allowed_uid: int | None = None,
    settings: Settings | None = None,
    notifier: Notifier | None = None,
) -> AsyncIterator[AgentService]:
    """The profile's agent, serving until the block ends (the suite's fast timings)."""
    settings = settings or settings_for(server, home)
    path, lock = await asyncio.to_thread(prepare, settings)
    stop = asyncio.Event()
    services: list[AgentService] = []
    running = asyncio.create_task(
        serve(
            settings,
            path,
            stop=stop,
            make_client=lambda _settings: make_client(server, home),
            allowed_uid=allowed_uid,
            ready=services.append,
            notifier=notifier,
        )
    )
    try:
        await wait_for(lambda: services or running.done(), 10, what="the agent listening")
        if running.done():
            running.result()  # its failure, as it is
        await wait_for(lambda: services[-1].controller.loaded.is_set(), 10, what="its first load")
        yield services[-1]
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
        lock.release()


async def spawn_agent(server: DemoServer, home: Path) -> asyncio.subprocess.Process:
    """`tiri-tui agent` as its own process, once it answers."""
    process = await spawn_cli(home, "--server", server.url, "agent")
    path = socket_path(settings_for(server, home))

    async def answers() -> bool:
        link = await attach(path, lambda _event: None)
        if link is None:
            return False
        try:
            return bool((await link.request("status")).get("loaded"))
        finally:
            await link.aclose()

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not await answers():
        assert process.returncode is None, (await process.stderr.read()).decode()  # type: ignore[union-attr]
        assert loop.time() < deadline, "the agent did not start"
        await asyncio.sleep(0.02)
    return process


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: no goodbye, no last save (a crash)."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGKILL)
    await process.wait()


async def faces_of(service: AgentService) -> list[str]:
    return sorted(face.name for face in service.faces.values())


class FakeNotifier:
    """The OS's notification service, as the tests see it: what was raised,
    and each alert's buttons to press."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Callable[[], None]]]] = []

    async def send(self, title: str, body: str, buttons: Mapping[str, Callable[[], None]]) -> None:
        self.sent.append((title, body, dict(buttons)))
