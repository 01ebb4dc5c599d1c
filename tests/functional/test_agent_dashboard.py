"""A dashboard attached to the profile's agent: it shows the agent's list, its
marks and deletes are the agent's intents, it pages through the agent, and
it outlives the agent (re-attaching, or carrying on alone)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tests.support.agents import (
    FakeNotifier,
    agent_in_process,
    kill,
    settings_for,
    spawn_agent,
)
from tests.support.cli import login
from tests.support.clients import make_client
from tests.support.dashboards import list_text
from tests.support.waiting import wait_for
from tiri_tui.agent import attached as attached_module
from tiri_tui.agent import link as agent_link
from tiri_tui.agent.attached import AttachedController
from tiri_tui.agent.endpoint import socket_path
from tiri_tui.agent.link import attach
from tiri_tui.commands.tailing import run_tail
from tiri_tui.server import DemoServer
from tiri_tui.server.state import iso
from tiri_tui.sync.controller import NotificationController
from tiri_tui.sync.controller_api import Controller
from tiri_tui.sync.events import ActionQueued, NotificationAdded
from tiri_tui.sync.rules import Filters
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.attaching import attached_controller


@contextlib.asynccontextmanager
async def attached_dashboard(
    server: DemoServer, home, size: tuple[int, int] = (100, 30)
) -> AsyncIterator[tuple[TiriApp, object]]:
    """The dashboard as `tiri-tui` opens it while an agent runs: attached."""
    client = make_client(server, home)
    try:
        prepared = await attached_controller(client)
        assert isinstance(prepared, AttachedController), "the dashboard did not attach"
        app = TiriApp(client, prepared=prepared, bell=False)
        async with app.run_test(size=size) as pilot:
            await wait_for(lambda: app.controller is not None and app.controller.loaded.is_set())
            yield app, pilot
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def stoppable_agent(server: DemoServer, home) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """The profile's agent, and a way to stop it under the faces (once)."""
    running = agent_in_process(server, home)
    await running.__aenter__()
    stopped = False

    async def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            await running.__aexit__(None, None, None)

    try:
        yield stop
    finally:
        await stop()


@contextlib.asynccontextmanager
async def dashboard_over_an_agent(
    server: DemoServer, home
) -> AsyncIterator[tuple[TiriApp, Callable[[], Awaitable[None]]]]:
    """An agent the test may stop, and a dashboard attached to it."""
    async with (
        stoppable_agent(server, home) as stop_agent,
        attached_dashboard(server, home) as (app, _pilot),
    ):
        yield app, stop_agent


async def page_to_the_end(controller: Controller) -> None:
    """Ask for older rows until there are none (as the person scrolling to the
    end does: the screen's own row wanting may ask for fewer meanwhile)."""

    def asked_and_ended() -> bool:
        controller.load_more()  # nothing while one is on its way
        return not controller.has_more and controller.load_more_failure is None

    await wait_for(asked_and_ended, 20, what="the end of the list")


def shown(controller: Controller | None) -> list[str]:
    assert controller is not None
    return [n.id for n in controller.inbox]


def held_ids(controller: NotificationController) -> list[str]:
    return [n.id for n in controller.held]


async def test_an_attached_dashboard_shows_the_agents_list_and_the_server_sees_one_socket(
    server, home
):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        user = server.user()
        async with attached_dashboard(server, home) as (app, _pilot):
            assert isinstance(app.controller, AttachedController)
            await wait_for(lambda: [f.name for f in agent.faces.values()] == ["dashboard"])
            await wait_for(lambda: shown(app.controller)[:20] == held_ids(agent.controller)[:20])
            created = await server.create_notification(title="through the agent")
            await wait_for(lambda: created["id"] in shown(app.controller), 10)
            await wait_for(lambda: "through the agent" in list_text(app))
            await wait_for(lambda: app.controller.unread_count == server.state.unread_count(user))
            assert len(server.hub.sockets(user)) == 1  # the agent's: none of the dashboard's
            # Deleted on another device: gone here too, told by the agent.
            victim = held_ids(agent.controller)[3]
            server.state.delete(user, victim)
            await agent.controller.refresh()
            await wait_for(lambda: victim not in shown(app.controller), 10)
        # Closed: the agent forgets it at once.
        await wait_for(lambda: not agent.faces, 10, what="the dashboard forgotten")


async def test_marks_and_deletes_of_an_attached_dashboard_go_through_the_agents_outbox(
    server, home
):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        user = server.user()
        async with attached_dashboard(server, home) as (app, pilot):
            controller = app.controller
            assert isinstance(controller, AttachedController)
            first = await server.create_notification(title="to be marked with m")
            await wait_for(lambda: shown(controller)[:1] == [first["id"]], 10)
            await pilot.press("g", "m")  # the first row (the newest), marked read
            # At once here, then at the server (after the undo window), then
            # told back by the agent.
            assert controller.held.get(first["id"]).is_read  # type: ignore[union-attr]
            await wait_for(lambda: user.by_id[first["id"]]["is_read"], 10)
            await wait_for(lambda: agent.controller.held.get(first["id"]).is_read, 10)  # type: ignore[union-attr]
            # A delete undone inside its window never reaches the server.
            second = next(n for n in controller.inbox if not n.is_read)
            intent = controller.delete(second.id, hold=30)
            assert intent is not None and second.id not in shown(controller)
            await wait_for(lambda: second.id not in held_ids(agent.controller), 10)
            undone = controller.undo([(intent, second)])
            assert (undone.taken_back, undone.too_late) == (1, 0)
            assert second.id in shown(controller)
            await wait_for(lambda: second.id in held_ids(agent.controller), 10)
            await wait_for(lambda: agent.controller.outbox.pending_count == 0, 10)
            assert second.id in user.by_id
            # Mark all read: every face sees it, the server has it.
            await controller.mark_all_read()
            await wait_for(lambda: server.state.unread_count(user) == 0, 10)
            await wait_for(lambda: controller.unread_count == 0, 10)


async def test_an_attached_dashboard_pages_through_the_agent_and_a_tail_prints_none_of_it(
    server, home
):
    month_ago = datetime.now(UTC) - timedelta(days=30)
    for i in range(80):  # older than the seed: only paging reaches them
        server.state.create_notification(
            server.user(), title=f"old {i}", created_at=iso(month_ago - timedelta(minutes=i))
        )
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        out = io.StringIO()
        stop = asyncio.Event()
        tail_client = make_client(server, home)
        tail = asyncio.create_task(
            run_tail(tail_client, as_json=True, newest=0, out=out, stop=stop)
        )
        await wait_for(lambda: [f.name for f in agent.faces.values() if f.watching] == ["tail"])
        async with attached_dashboard(server, home) as (app, _pilot):
            controller = app.controller
            assert controller is not None
            total = len(server.user().notifications)
            assert len(agent.controller.held) < total  # the agent holds its first pages only
            await page_to_the_end(controller)
            assert len(controller.inbox) == total
            assert not controller.has_more
            assert shown(controller) == [n["id"] for n in server.user().notifications]
            # Filters apply to what is mirrored: unread only, then all again.
            await controller.set_filters(Filters(unread_only=True))  # type: ignore[misc]
            unread = [n["id"] for n in server.user().notifications if not n["is_read"]]
            await wait_for(lambda: shown(controller) == unread, 10)
            await controller.set_filters(Filters())  # type: ignore[misc]
            await wait_for(lambda: len(controller.inbox) == total, 10)
            created = await server.create_notification(title="news while paging")
            await wait_for(lambda: created["id"] in out.getvalue(), 10, what="the tail following")
        stop.set()
        assert await asyncio.wait_for(tail, 10) == 0
        await tail_client.aclose()
        printed = [json.loads(line) for line in out.getvalue().splitlines()]
        titles = [p["notification"]["title"] for p in printed if p["event"] == "notification"]
        # The pages the agent fetched for the dashboard are no news.
        assert not [title for title in titles if title.startswith("old ")]


async def test_an_attached_dashboard_outlives_the_agent_restarting_and_misses_nothing(server, home):
    assert (await login(server, home))[0] == 0
    user = server.user()
    async with dashboard_over_an_agent(server, home) as (app, stop_agent):
        controller = app.controller
        assert controller is not None
        gone = shown(controller)[2]
        await stop_agent()  # the agent stops under the dashboard
        await wait_for(lambda: controller.state.value == "connecting", 10)
        # While it is away: one made, one deleted elsewhere, one marked here.
        created = await server.create_notification(title="while the agent was away")
        server.state.delete(user, gone)
        marked = next(n for n in controller.inbox if not n.is_read and n.id != gone)
        assert controller.mark_read(marked.id, hold=0) is not None
        async with agent_in_process(server, home) as agent:
            await wait_for(lambda: [f.name for f in agent.faces.values()] == ["dashboard"], 15)
            assert app.controller is controller  # re-attached, not standalone
            await wait_for(lambda: created["id"] in shown(controller), 10)
            await wait_for(lambda: gone not in shown(controller), 10)
            await wait_for(lambda: user.by_id[marked.id]["is_read"], 10)
            ids = shown(controller)
            assert len(ids) == len(set(ids))  # nothing shown twice
            await wait_for(lambda: controller.unread_count == server.state.unread_count(user))


async def test_a_dashboard_whose_agent_does_not_come_back_carries_on_alone(
    server, home, monkeypatch
):
    monkeypatch.setattr(agent_link, "REATTACH_PATIENCE", 0.5)
    assert (await login(server, home))[0] == 0
    user = server.user()
    async with dashboard_over_an_agent(server, home) as (app, stop_agent):
        attached = app.controller
        await stop_agent()
        await wait_for(lambda: isinstance(app.controller, NotificationController), 10)
        standalone = app.controller
        assert attached is not standalone and attached.closing  # type: ignore[union-attr]
        await wait_for(lambda: len(server.hub.sockets(user)) == 1, 10, what="its own socket")
        created = await server.create_notification(title="to the dashboard alone")
        await wait_for(lambda: created["id"] in shown(standalone), 10)


async def test_marks_made_while_the_agent_is_away_wait_and_an_undo_takes_one_back_unsent(
    server, home
):
    assert (await login(server, home))[0] == 0
    user = server.user()
    async with dashboard_over_an_agent(server, home) as (app, stop_agent):
        controller = app.controller
        assert isinstance(controller, AttachedController)
        await stop_agent()
        await wait_for(lambda: controller.state.value == "connecting", 10)
        kept, taken_back = [n for n in controller.inbox if not n.is_read][:2]
        controller.mark_read(kept.id, hold=0)
        intent = controller.mark_read(taken_back.id, hold=30)
        assert intent is not None
        await wait_for(lambda: len(controller.outbox.waiting) == 2)
        assert controller.undo([(intent, taken_back)]).taken_back == 1
        assert not controller.held.get(taken_back.id).is_read  # type: ignore[union-attr]
        async with agent_in_process(server, home) as agent:
            await wait_for(lambda: user.by_id[kept.id]["is_read"], 15, what="handed over")
            await wait_for(lambda: not controller.outbox.waiting)
            await wait_for(lambda: agent.controller.outbox.pending_count == 0)
            assert not user.by_id[taken_back.id]["is_read"]  # never sent


async def test_a_dashboard_quitting_while_the_agent_is_away_leaves_its_marks_for_the_agent(
    server, home
):
    assert (await login(server, home))[0] == 0
    user = server.user()
    async with stoppable_agent(server, home) as stop_agent:
        async with attached_dashboard(server, home) as (app, _pilot):
            controller = app.controller
            assert controller is not None
            await stop_agent()
            await wait_for(lambda: controller.state.value == "connecting", 10)
            marked = next(n for n in controller.inbox if not n.is_read)
            controller.mark_read(marked.id, hold=0)
            deleted = next(n for n in controller.inbox if n.id != marked.id)
            controller.delete(deleted.id, hold=0)
    # Quit before the agent came back: on disk, for the agent to send.
    assert not user.by_id[marked.id]["is_read"] and deleted.id in user.by_id
    async with agent_in_process(server, home):
        await wait_for(lambda: user.by_id[marked.id]["is_read"], 15, what="the mark sent")
        await wait_for(lambda: deleted.id not in user.by_id, 15, what="the delete sent")


async def test_no_os_alert_while_an_attached_dashboard_is_open_and_it_alerts_itself(server, home):
    assert (await login(server, home))[0] == 0
    notifier = FakeNotifier()
    async with agent_in_process(server, home, notifier=notifier) as agent:
        async with attached_dashboard(server, home) as (app, _pilot):
            controller = app.controller
            assert controller is not None
            arrivals: list[NotificationAdded] = []
            # Older rows the screen asks for to fill itself may come meanwhile
            # (later, under load): neither live nor news, they are no arrival.
            controller.subscribe(
                lambda e: (
                    arrivals.append(e)
                    if isinstance(e, NotificationAdded) and (e.live or e.news)
                    else None
                )
            )
            first = await server.create_notification(title="while the dashboard is attached")
            await wait_for(lambda: first["id"] in shown(controller), 10)
            # News to the dashboard's own alerts, as the agent judged it.
            assert [(e.notification.id, e.live, e.news) for e in arrivals] == [
                (first["id"], True, True)
            ]
        await wait_for(lambda: not agent.dashboards_open(), 10, what="the dashboard gone")
        await server.create_notification(title="once it is closed")
        await wait_for(lambda: notifier.sent, 10, what="an OS alert")
    [(_, body, _)] = notifier.sent
    assert "once it is closed" in body


async def test_an_attached_dashboard_outlives_its_agent_killed_and_restarted(server, home):
    assert (await login(server, home))[0] == 0
    user = server.user()
    process = await spawn_agent(server, home)
    try:
        async with attached_dashboard(server, home) as (app, _pilot):
            controller = app.controller
            assert controller is not None
            before = await server.create_notification(title="before the crash")
            await wait_for(lambda: before["id"] in shown(controller), 10)
            await kill(process)  # SIGKILL: no goodbye
            await wait_for(lambda: controller.state.value == "connecting", 10)
            during = await server.create_notification(title="while it was dead")
            process = await spawn_agent(server, home)
            await wait_for(lambda: during["id"] in shown(controller), 20, what="caught up")
            assert app.controller is controller  # re-attached, not standalone
            after = await server.create_notification(title="after the restart")
            await wait_for(lambda: after["id"] in shown(controller), 10)
            ids = shown(controller)
            assert len(ids) == len(set(ids))
            assert sorted(ids) == sorted(n["id"] for n in user.notifications[: len(ids)])
    finally:
        await kill(process)


async def test_an_attached_dashboard_pages_on_under_a_filter_set_before_any_paging(server, home):
    month_ago = datetime.now(UTC) - timedelta(days=30)
    for i in range(60):  # older than the seed, every other one unread
        server.state.create_notification(
            server.user(),
            title=f"old {i}",
            is_read=i % 2 == 0,
            created_at=iso(month_ago - timedelta(minutes=i)),
        )
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home), attached_dashboard(server, home) as (app, _):
        controller = app.controller
        assert controller is not None
        await controller.set_filters(Filters(unread_only=True))  # type: ignore[misc]
        unread = [n["id"] for n in server.user().notifications if not n["is_read"]]
        await page_to_the_end(controller)
        assert shown(controller) == unread
        await controller.set_filters(Filters())  # type: ignore[misc]
        total = len(server.user().notifications)
        await page_to_the_end(controller)
        assert len(controller.inbox) == total


async def test_a_delete_handed_over_after_the_agent_came_back_keeps_its_undo_window(server, home):
    assert (await login(server, home))[0] == 0
    user = server.user()
    async with dashboard_over_an_agent(server, home) as (app, stop_agent):
        controller = app.controller
        assert isinstance(controller, AttachedController)
        await stop_agent()
        await wait_for(lambda: controller.state.value == "connecting", 10)
        victim = controller.inbox[1]
        intent = controller.delete(victim.id, hold=30)
        assert intent is not None
        async with agent_in_process(server, home) as agent:
            await wait_for(lambda: not controller.outbox.waiting, 15, what="handed over")
            await wait_for(lambda: victim.id not in agent.controller.held, 10)
            undone = controller.undo([(intent, victim)])
            assert (undone.taken_back, undone.too_late) == (1, 0)
            await wait_for(lambda: victim.id in agent.controller.held, 10, what="taken back")
            await wait_for(lambda: agent.controller.outbox.pending_count == 0)
            assert victim.id in user.by_id  # the server never heard of it
            assert victim.id in shown(controller)


async def test_the_agent_sends_a_mark_on_a_row_only_a_face_holds(server, home):
    assert (await login(server, home))[0] == 0
    user = server.user()
    # Far older than anything the agent loads: only a face that paged there holds it.
    old = server.state.create_notification(
        user, title="paged long ago", created_at=iso(datetime.now(UTC) - timedelta(days=400))
    )
    async with agent_in_process(server, home) as agent:
        assert old["id"] not in agent.controller.held
        link = await attach(socket_path(settings_for(server, home)), lambda _event: None)
        assert link is not None
        try:
            answer = await link.request("mark", notification=old["id"], read=True, hold=0)
            assert answer["changed"] is True
            await wait_for(lambda: user.by_id[old["id"]]["is_read"], 10, what="sent")
            answer = await link.request("delete", notification=old["id"], hold=0)
            await wait_for(lambda: old["id"] not in user.by_id, 10, what="deleted")
        finally:
            await link.aclose()


async def test_an_undo_the_restarted_agent_cannot_honour_is_shown_undone_no_more(
    server, home, monkeypatch
):
    monkeypatch.setattr(attached_module, "FIGURES_INTERVAL", 0.2)
    assert (await login(server, home))[0] == 0
    user = server.user()
    async with dashboard_over_an_agent(server, home) as (app, stop_agent):
        controller = app.controller
        assert isinstance(controller, AttachedController)
        notices: list[ActionQueued] = []
        controller.subscribe(lambda e: notices.append(e) if isinstance(e, ActionQueued) else None)
        victim = next(n for n in controller.inbox if not n.is_read)  # counted back in by the undo
        intent = controller.delete(victim.id, hold=30)  # on the first agent's disk, with a key
        assert intent is not None
        await wait_for(lambda: controller.outbox.agent_pending == 1, 10, what="at the agent")
        await stop_agent()
        async with agent_in_process(server, home) as agent:
            await wait_for(lambda: [f.name for f in agent.faces.values()] == ["dashboard"], 15)
            await wait_for(lambda: victim.id not in user.by_id, 10, what="sent from its disk")
            # The new agent numbers its keys afresh: its first one names a mark
            # made now, which the old key must not take back.
            other = next(n for n in controller.inbox if not n.is_read and n.id != victim.id)
            assert controller.mark_read(other.id, hold=30) is not None
            await wait_for(lambda: agent.controller.outbox.pending_count == 1, 10)
            assert controller.undo([(intent, victim)]).taken_back == 1
            await wait_for(lambda: notices, 10, what="the notice")
            assert [(n.action.value, "not undone" in n.reason) for n in notices] == [
                ("delete", True)
            ]
            assert victim.id not in shown(controller)  # shown as it is: gone
            assert agent.controller.outbox.pending_count == 1  # the mark still on its way
            # The badge is the agent's again (the undo had counted the row back in).
            await wait_for(lambda: controller.unread_count == agent.controller.unread_count, 10)


async def test_d_in_an_attached_dashboard_clears_through_the_agent_and_every_face_follows(
    server, home
):
    from tiri_tui.ui.screens import ConfirmScreen

    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        async with (
            attached_dashboard(server, home) as (app, pilot),
            attached_dashboard(server, home) as (other, _),
        ):
            read = sum(1 for n in server.user().notifications if n["is_read"])
            await wait_for(lambda: any(n.is_read for n in app.controller.held), 10)
            await pilot.press("D")
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            assert f"Delete the {read} read notifications on the server" in app.screen.question
            await pilot.press("y")
            await wait_for(lambda: not any(n["is_read"] for n in server.user().notifications))
            for face in (app, other):
                await wait_for(lambda face=face: not any(n.is_read for n in face.controller.held))
            assert not any(n.is_read for n in agent.controller.held)
            server.faults.offer_clear_read = False
            user = server.user()
            server.state.set_read(user, user.notifications[0]["id"], True)
            await pilot.press("D")
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
            assert "Delete the 1 read notification on the server" in app.screen.question
            await pilot.press("y")
            # The agent met the missing route: said as a standalone face says it.
            await wait_for(
                lambda: (
                    "Clear read: this server cannot clear read notifications"
                    in str(app.screen.query_one("#message").render())
                ),
                what="said in words",
            )
