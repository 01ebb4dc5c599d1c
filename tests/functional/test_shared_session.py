"""One stored session shared by many processes: one refresh per expiry, never a refused one.

The dashboard, `tail`, `count` and scripts all read the same stored session.
With refresh-token rotation and blacklisting, a refresh token sent twice is
refused (and is what a token thief sends), so the processes must refresh in
turn: one refreshes, the others read what it stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import stat
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.support.keyrings import MemoryKeyring
from tests.support.session_sharer import spawn_session_sharer
from tests.support.waiting import wait_for
from tiri_tui.connection.auth import (
    REFRESH_PATH,
    Auth,
    FileTokenStore,
    KeyringTokenStore,
    Session,
    TokenStore,
    needs_refresh,
)
from tiri_tui.connection.session_lock import SessionLock
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.settings.config import Settings


async def _line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if not line:
        assert process.stderr is not None
        raise AssertionError(f"a sharer ended: {(await process.stderr.read()).decode()[-2000:]}")
    return line.decode().strip()


async def test_processes_sharing_a_session_refresh_it_once_and_are_never_refused(tmp_path):
    # Rotation and blacklisting on (the demo server's default), 2 s access tokens.
    server = DemoServer(port=0, access_lifetime=2.0, seed_count=3)
    await server.start()
    home = tmp_path / "home"
    store = FileTokenStore(Settings(server=server.url, home=home).config_dir / "sessions")
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            await Auth(server.url, lambda: http, store).login(DEMO_EMAIL, DEMO_PASSWORD)
        processes = [await spawn_session_sharer(server.url, home) for _ in range(6)]
        assert await asyncio.gather(*(_line(p) for p in processes)) == ["ready"] * 6
        for expiry in (1, 2):
            stored = await asyncio.to_thread(store.load, server.url)
            assert stored is not None
            # The clock moves on its own: the token is due after about 1.5 s.
            await wait_for(
                lambda access=stored.access: needs_refresh(access, time.time()),
                timeout=5,
                what=f"access token {expiry} due for its refresh",
            )
            refreshes = server.state.refresh_calls
            for process in processes:  # every process asks at the same moment
                assert process.stdin is not None
                process.stdin.write(b"go\n")
            answers = await asyncio.gather(*(_line(p) for p in processes))
            assert [a.split()[0] for a in answers] == ["ok"] * 6, answers
            assert server.state.refresh_calls > refreshes, "the token was not refreshed"
            assert server.state.refresh_refusals == 0, f"refused at expiry {expiry}"
        for process in processes:
            assert process.stdin is not None
            process.stdin.close()
        assert [await asyncio.wait_for(p.wait(), 30) for p in processes] == [0] * 6
        assert server.state.rotated_reuses == {}
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await server.stop()


class HeldRefreshAnswers(httpx.AsyncBaseTransport):
    """A slow network: refresh answers (already rotated at the server) wait for ``release``."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.url.path == REFRESH_PATH:
            await response.aread()
            self.holding.set()
            await self.release.wait()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class BeforeEachRefresh(httpx.AsyncBaseTransport):
    """Calls ``hook`` with the refresh token a refresh carries, just before sending it."""

    def __init__(self, hook: Callable[[str], None]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._hook = hook

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == REFRESH_PATH:
            self._hook(json.loads(request.content)["refresh"])
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _store(backend: str, directory: Path, keyring: MemoryKeyring) -> TokenStore:
    """A store as one process opens it (each process has its own, over the same place)."""
    if backend == "keyring":
        return KeyringTokenStore(keyring, directory)
    return FileTokenStore(directory)


@pytest.mark.parametrize("backend", ["file", "keyring"])
async def test_a_refresh_another_process_has_in_flight_is_waited_for_and_used(
    server, tmp_path, caplog, backend
):
    caplog.set_level(logging.DEBUG, logger="tiri_tui")
    keyring = MemoryKeyring()
    held = HeldRefreshAnswers()
    async with (
        httpx.AsyncClient(base_url=server.url, transport=held) as a_http,
        httpx.AsyncClient(base_url=server.url) as b_http,
    ):
        a = Auth(server.url, lambda: a_http, _store(backend, tmp_path, keyring))
        await a.login(DEMO_EMAIL, DEMO_PASSWORD)
        b = Auth(server.url, lambda: b_http, _store(backend, tmp_path, keyring))
        assert b.session == a.session
        refreshes, refusals = server.state.refresh_calls, server.state.refresh_refusals

        a_refresh = asyncio.create_task(a.access_token(force_refresh=True))
        await wait_for(held.holding.is_set, what="A's refresh rotated, its answer on the way")
        b_refresh = asyncio.create_task(b.access_token(force_refresh=True))
        # B either waits for A (right) or has already sent the rotated-out token (wrong).
        await wait_for(
            lambda: b_refresh.done() or "waiting for another process" in caplog.text,
            what="B waiting for A's refresh",
        )
        held.release.set()
        a_token = await a_refresh
        assert await b_refresh == a_token
        assert b.session == a.session
        assert server.state.refresh_calls == refreshes + 1
        assert server.state.refresh_refusals == refusals
        assert _store(backend, tmp_path, keyring).load(server.url) == a.session


@pytest.mark.parametrize("backend", ["file", "keyring"])
async def test_a_refused_refresh_adopts_the_session_another_writer_stored(
    server, tmp_path, backend
):
    keyring = MemoryKeyring()
    other = _store(backend, tmp_path, keyring)  # a writer that ignores the lock
    rotated: list[str] = []

    def rotate_elsewhere(refresh: str) -> None:
        if rotated:  # once: the other writer rotates the token B is about to send
            return
        answer = server.state.refresh(refresh)
        rotated.append(answer["refresh"])
        other.save(server.url, Session(answer["access"], answer["refresh"], DEMO_EMAIL, "1"))

    async with httpx.AsyncClient(
        base_url=server.url, transport=BeforeEachRefresh(rotate_elsewhere)
    ) as http:
        b = Auth(server.url, lambda: http, _store(backend, tmp_path, keyring))
        await b.login(DEMO_EMAIL, DEMO_PASSWORD)
        token = await b.access_token(force_refresh=True)  # refused: the other rotated it first
        stored = other.load(server.url)
        assert stored is not None and b.session == stored and token == stored.access
        assert server.state.refresh_refusals == 1
        await b.access_token(force_refresh=True)  # and the session goes on
        assert server.state.refresh_refusals == 1
        assert other.load(server.url) == b.session


async def test_a_lock_held_past_patience_is_gone_around_with_a_warning(tmp_path, caplog):
    path = tmp_path / "sessions" / "session.lock"
    async with SessionLock(path).held():
        # A holder that never lets go (a process stopped mid-refresh) stops nobody for good.
        async with SessionLock(path, patience=0).held():
            pass
    assert "refreshing the session without it" in caplog.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_cancelled_waiter_leaves_the_lock_free(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="tiri_tui")
    path = tmp_path / "session.lock"
    holder = SessionLock(path).held()
    await holder.__aenter__()

    async def wait_for_the_lock() -> None:
        async with SessionLock(path).held():
            raise AssertionError("the lock was taken while held")

    waiter = asyncio.create_task(wait_for_the_lock())
    await wait_for(lambda: "waiting for another process" in caplog.text, what="the waiter waiting")
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiter
    await holder.__aexit__(None, None, None)
    caplog.clear()
    async with SessionLock(path).held():  # taken at once: nobody holds it
        assert "waiting" not in caplog.text
