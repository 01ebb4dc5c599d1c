"""Retiring a controller (a new login, a quit) while work is still being started on it.

The chaos soak found the race: ``aclose`` closed the stores while flushes,
refreshes and marks were still being started, so tasks of the retired
controller crashed on a closed database, outlived it, and sent a queued mark
that the next controller then sent again.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
from aiohttp import web

from tests.support.clients import FAST_CONTROLLER, make_client
from tests.support.waiting import wait_for
from tiri_tui.client import TiriClient
from tiri_tui.connection.auth import FileTokenStore, Session
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.settings.config import Settings

MARK_SUFFIX = "/mark_as_read/"


class GatedServer(DemoServer):
    """Counts every mark request it receives (by id), and holds the first one
    at the door until ``release`` is set: a mark in flight, on demand."""

    def __init__(self) -> None:
        super().__init__(port=0, seed_count=30)
        self.marks_received: collections.Counter[str] = collections.Counter()
        self.release = asyncio.Event()
        self.holding = asyncio.Event()

    def build_app(self) -> web.Application:
        app = super().build_app()

        @web.middleware
        async def count_and_hold(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            if request.path.endswith(MARK_SUFFIX):
                nid = request.path.removesuffix(MARK_SUFFIX).rsplit("/", 1)[-1]
                self.marks_received[nid] += 1
                if not self.release.is_set():
                    self.holding.set()
                    await self.release.wait()
            return await handler(request)

        app.middlewares.append(count_and_hold)
        return app


def live_tiri_tasks() -> list[str]:
    return sorted(
        t.get_name()
        for t in asyncio.all_tasks()
        if t.get_name().startswith("tiri-") and not t.done()
    )


async def test_work_started_while_retiring_never_runs_and_queued_marks_go_once(tmp_path):
    """Marks queued (one in flight), then the controller retired while marks,
    refreshes and cache saves keep being asked of it: nothing it starts runs
    against its closed stores, nothing outlives it, and the next controller
    takes the queued marks from disk and sends each exactly once."""
    server = GatedServer()
    await server.start()
    client = make_client(
        server,
        tmp_path / "home",
        controller=msgspec.structs.replace(FAST_CONTROLLER, cache_save_interval=0.001),
    )
    try:
        await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        old = client.open_controller()
        await old.start()
        await wait_for(lambda: old.state is ConnectionState.CONNECTED and old.loaded.is_set())
        await wait_for(lambda: old.in_sync, what="the connect's fill to end")
        unread = [n.id for n in old.inbox if not n.is_read]
        queued, late = unread[:3], unread[3:8]
        for nid in queued:
            old.mark_read(nid)
        await wait_for(server.holding.is_set, what="the first mark to be in flight")

        closing = asyncio.create_task(old.aclose())
        turns = 0
        while not closing.done():
            # What the soak's user and the sync kept doing while the controller closed.
            if late:
                old.mark_read(late.pop())
            old.refresh()
            old.load_more()
            await asyncio.sleep(0)
            turns += 1
            if turns == 50:
                server.release.set()  # the mark in flight gets its answer meanwhile
        server.release.set()
        await closing

        assert old.task_failures == []
        assert old.live_tasks() == 0
        assert live_tiri_tasks() == []
        # A closing controller takes no new intents (the dashboard is unbound
        # from it first): nothing of them reached the server.
        assert not any(server.marks_received[nid] for nid in unread[3:8])

        new = client.open_controller()
        await new.start()  # reads what the retired one left queued, from disk
        await wait_for(lambda: new.outbox.pending_count == 0, timeout=10, what="the outbox")
        await wait_for(
            lambda: all(server.user().by_id[nid]["is_read"] for nid in queued),
            what="the queued marks on the server",
        )
        assert {nid: server.marks_received[nid] for nid in queued} == dict.fromkeys(queued, 1)
        assert new.task_failures == []
    finally:
        await client.aclose()
        server.release.set()
        await server.stop()


class SlowToReadStore(FileTokenStore):
    """Reads the file when asked but answers only once let go: a read of the
    stored session that began before a login wrote it, and ends after."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.reading = threading.Event()
        self.let_go = threading.Event()

    def load(self, server: str) -> Session | None:
        found = super().load(server)
        self.reading.set()
        self.let_go.wait(5)
        return found


async def test_a_read_of_the_stored_session_overlapping_a_login_keeps_the_login(server, tmp_path):
    """What killed the soak's session watcher: a retired controller's task asked
    for a token while logged out (the store is read on a thread); a login
    finished meanwhile; the read's stale answer (no session) overwrote it."""
    store = SlowToReadStore(tmp_path / "sessions")
    store.let_go.set()  # the client reads the store once as it is made
    client = TiriClient(Settings(server=server.url, home=tmp_path / "home"), token_store=store)
    try:
        store.let_go.clear()
        store.reading.clear()
        asking = asyncio.create_task(client.auth.access_token())
        assert await asyncio.to_thread(store.reading.wait, 5)
        session = await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        store.let_go.set()
        assert await asking == session.access  # the login's token, not "not logged in"
        assert client.auth.session == session
    finally:
        store.let_go.set()
        await client.aclose()


class FlakyMarksServer(DemoServer):
    """Answers the first ``failures`` mark requests 503 (the socket stays up)."""

    def __init__(self, failures: int) -> None:
        super().__init__(port=0, seed_count=30)
        self.failures = failures

    def build_app(self) -> web.Application:
        app = super().build_app()

        @web.middleware
        async def refuse_marks(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            if request.path.endswith(MARK_SUFFIX) and self.failures > 0:
                self.failures -= 1
                return web.json_response({"detail": "busy"}, status=503)
            return await handler(request)

        app.middlewares.append(refuse_marks)
        return app


async def test_a_mark_refused_for_a_while_is_sent_again_though_nothing_else_happens(tmp_path):
    """The soak's outbox that never drained: a send failed transiently while the
    socket stayed up and in sync, and nothing (no new connection, no new mark)
    asked the outbox to try again."""
    server = FlakyMarksServer(failures=2)
    await server.start()
    client = make_client(server, tmp_path / "home")
    try:
        await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        ctl = client.open_controller()
        await ctl.start()
        await wait_for(lambda: ctl.state is ConnectionState.CONNECTED and ctl.in_sync)
        target = next(n.id for n in ctl.inbox if not n.is_read)
        ctl.mark_read(target)
        await wait_for(lambda: server.failures == 0, what="both refusals")
        await wait_for(lambda: ctl.outbox.pending_count == 0, timeout=10, what="a retry")
        assert server.user().by_id[target]["is_read"]
        assert ctl.task_failures == []
    finally:
        await client.aclose()
        await server.stop()


async def test_a_refresh_asked_for_while_quitting_never_holds_the_quit_up():
    """R pressed again and again as the program quits: the reconciliation loop,
    woken by each, must still end when it is cancelled (asyncio.wait_for on
    Python 3.11 swallowed the cancellation when its wait ended at that moment,
    and aclose waited for that task for ever)."""
    from tests.support.fakes import offline_controller

    controller = offline_controller()
    controller.rest.start()
    for _ in range(5):
        await asyncio.sleep(0)  # the loops are waiting
    closing = asyncio.ensure_future(controller.aclose())
    for _ in range(500):
        if closing.done():
            break
        controller.refresh()
        await asyncio.sleep(0)
    assert closing.done(), "aclose still waiting for a task that swallowed its cancellation"
    await closing
    assert controller.live_tasks() == 0
