"""Shared fixtures: an in-process demo server on a random port, isolated homes, waiting helpers."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tiri_tui.client import TiriClient
from tiri_tui.config import Settings
from tiri_tui.controller import ControllerSettings
from tiri_tui.policy import PolicySettings
from tiri_tui.realtime import RealtimeSettings
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer

# The same examples every run: CI must be deterministic. To explore new
# ones locally, comment the profile out or pass --hypothesis-seed=N.
hypothesis_settings.register_profile("deterministic", derandomize=True)
hypothesis_settings.load_profile("deterministic")


async def wait_for(predicate: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Poll ``predicate`` until true, failing after ``timeout`` seconds (never a blind sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.005)


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


@pytest.fixture
async def server() -> AsyncIterator[DemoServer]:
    """A demo server with the seeded demo user, no generator."""
    demo = DemoServer(port=0, seed_count=30)
    await demo.start()
    yield demo
    await demo.stop()


#: Fast timings for tests: real sockets, short delays.
FAST_REALTIME = RealtimeSettings(
    handshake_timeout=2.0,
    precheck_timeout=1.0,
    ping_interval=0.5,
    ping_timeout=0.5,
    app_ping_interval=None,
    watchdog_interval=0,
    policy=PolicySettings(base_delay=0.05, max_delay=0.2, max_attempts=10, stable_after=1.0),
)
FAST_CONTROLLER = ControllerSettings(
    fallback_interval=0.2,
    gap_fill_max_pages=10,
    page_size=20,
    reconcile_page_delay=0.01,
    subscribe_grace=0.2,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An isolated TIRI_HOME (config, cache, data, logs)."""
    return tmp_path / "home"


def make_client(
    server: DemoServer,
    home: Path,
    *,
    realtime: RealtimeSettings = FAST_REALTIME,
    controller: ControllerSettings = FAST_CONTROLLER,
) -> TiriClient:
    """A client for ``server`` with test timings."""
    return TiriClient(
        Settings(server=server.url, home=home),
        realtime=realtime,
        controller=controller,
        http_timeout=2.0,
    )


@pytest.fixture
async def client(server: DemoServer, home: Path) -> AsyncIterator[TiriClient]:
    """A client logged in as the demo user."""
    tiri = make_client(server, home)
    await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    yield tiri
    await tiri.aclose()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", help="run the chaos soak with 1,000+ faults")
    parser.addoption(
        "--soak-seeds", type=int, default=0, help="sweep the chaos soak over N seeds (a line each)"
    )
    parser.addoption("--faults", type=int, default=0, help="faults per chaos run")
