"""Shared fixtures: an in-process demo server on a random port, isolated homes, a client.

Helpers live in tests/support; this file holds fixtures and options only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support.clients import make_client
from tiri_tui.client import TiriClient
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer

# The same examples every run: CI must be deterministic. To explore new
# ones locally, comment the profile out or pass --hypothesis-seed=N.
hypothesis_settings.register_profile("deterministic", derandomize=True)
hypothesis_settings.load_profile("deterministic")


@pytest.fixture
async def server() -> AsyncIterator[DemoServer]:
    """A demo server with the seeded demo user, no generator."""
    demo = DemoServer(port=0, seed_count=30)
    await demo.start()
    yield demo
    await demo.stop()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An isolated TIRI_HOME (config, cache, data, logs)."""
    return tmp_path / "home"


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
