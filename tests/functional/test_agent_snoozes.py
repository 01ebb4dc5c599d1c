"""The agent and the snoozes: with no dashboard open, a snooze that is due is
brought back by the agent — marked unread at the server, and an OS alert —
once; with a dashboard open, the agent leaves it to the dashboard."""

from __future__ import annotations

import asyncio
import contextlib
import time

from tests.support.agents import FakeNotifier, agent_in_process, settings_for
from tests.support.cli import login
from tests.support.waiting import wait_for
from tiri_tui.agent.endpoint import socket_path
from tiri_tui.agent.link import stay_present
from tiri_tui.client import TiriClient
from tiri_tui.sync.snooze_store import SnoozeStore


def is_read(server, nid: str) -> bool:
    return next(n for n in server.user().notifications if n["id"] == nid)["is_read"]


def store_of(server, home) -> SnoozeStore:
    client = TiriClient(settings_for(server, home))
    return SnoozeStore(client.snooze_path())


async def test_with_no_dashboard_open_the_agent_brings_a_due_snooze_back(server, home):
    assert (await login(server, home))[0] == 0
    notifier = FakeNotifier()
    async with agent_in_process(server, home, notifier=notifier) as agent:
        await wait_for(lambda: agent.controller.loaded.is_set(), 5, what="the first load")
        old_read = next(n for n in reversed(list(agent.controller.held)) if n.is_read)
        store = store_of(server, home)
        store.snooze(old_read, time.time() - 1)
        await wait_for(lambda: not is_read(server, old_read.id), 5, what="unread at the server")
        await wait_for(lambda: notifier.sent, 5, what="an OS alert")
        book = store.read(time.time())
        assert book is not None and old_read.id in book.back
    [(_, body, _)] = notifier.sent
    assert old_read.title[:20] in body


async def test_with_a_dashboard_open_the_agent_leaves_a_due_snooze_to_it(server, home):
    assert (await login(server, home))[0] == 0
    notifier = FakeNotifier()
    async with agent_in_process(server, home, notifier=notifier) as agent:
        present = asyncio.create_task(
            stay_present(socket_path(settings_for(server, home)), "dashboard", interval=0.05)
        )
        try:
            await wait_for(agent.dashboards_open, 5, what="the dashboard known to the agent")
            await wait_for(lambda: agent.controller.loaded.is_set(), 5, what="the first load")
            n = next(iter(agent.controller.held))
            asked: list[bool] = []
            open_now = agent.dashboards_open

            def counted() -> bool:  # the agent's snoozes ask it at every look
                asked.append(open_now())
                return asked[-1]

            agent.dashboards_open = counted  # type: ignore[method-assign]
            store = store_of(server, home)
            store.snooze(n, time.time() - 1)
            await wait_for(lambda: len(asked) >= 3, 5, what="the agent's looks while it is due")
            book = store.read(time.time())
            assert all(asked) and book is not None and n.id in book.away
        finally:
            present.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await present
        # Closed: now it is the agent's to bring back.
        await wait_for(lambda: notifier.sent, 5, what="an OS alert once the dashboard closed")
