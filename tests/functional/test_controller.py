"""The controller against the in-process demo server: load, live, fallback, gap fill, outbox, cache."""

from __future__ import annotations

import asyncio
import collections

import msgspec
import pytest

from tests.support.clients import FAST_CONTROLLER, FAST_REALTIME, make_client
from tests.support.serving import take_rows
from tests.support.waiting import wait_for
from tiri_tui.connection.policy import SESSION_EXPIRED, ConnectionState, StateCode
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.sync.controller import Filters, NotificationController
from tiri_tui.sync.events import (
    ActionQueued,
    Arrived,
    NotificationAdded,
    NotificationUpdated,
    StateEvent,
)
from tiri_tui.wire.errors import ServerUnreachable


class Events:
    """Records controller events."""

    def __init__(self, controller: NotificationController) -> None:
        self.items: list[object] = []
        controller.subscribe(self.items.append)

    def added_ids(self) -> collections.Counter:
        return collections.Counter(
            e.notification.id for e in self.items if isinstance(e, NotificationAdded)
        )

    def of(self, kind: type) -> list:
        return [e for e in self.items if isinstance(e, kind)]

    def news(self) -> list:
        """What is new to the person: shown (NotificationAdded(news=True)) or not (Arrived)."""
        return [
            e
            for e in self.items
            if isinstance(e, Arrived) or (isinstance(e, NotificationAdded) and e.news)
        ]


@pytest.fixture
async def controller(client):
    ctl = client.open_controller()
    events = Events(ctl)
    await ctl.start()
    await wait_for(lambda: ctl.state is ConnectionState.CONNECTED and ctl.loaded.is_set())
    ctl.events = events  # type: ignore[attr-defined]
    return ctl


def server_unread(server: DemoServer) -> int:
    return server.state.unread_count(server.user())


def server_read_state(server: DemoServer, notification_id: str) -> bool:
    return server.user().by_id[notification_id]["is_read"]


async def test_initial_load_fills_page_one_and_the_count(server, controller):
    assert len(controller.inbox) == FAST_CONTROLLER.page_size
    assert [n.id for n in controller.inbox] == [n["id"] for n in server.user().notifications[:20]]
    assert controller.unread_count == server_unread(server)
    assert controller.has_more and not controller.cached


async def test_live_new_and_updated_notifications(server, controller):
    created = await server.create_notification(title="live")
    await wait_for(lambda: created["id"] in controller.inbox)
    assert controller.inbox[0].id == created["id"]
    await wait_for(lambda: controller.unread_count == server_unread(server))  # its own frame
    server.state.set_read(server.user(), created["id"], True)  # e.g. read on the phone
    await server.broadcast_changes(server.user(), [created])
    await wait_for(lambda: controller.inbox.get(created["id"]).is_read)
    assert controller.events.added_ids()[created["id"]] == 1
    assert [e.notification.id for e in controller.events.of(NotificationUpdated)] == [created["id"]]
    assert controller.counters.last_delivery_latency is not None


async def test_load_more_follows_next_until_the_end(server, controller):
    while controller.has_more:
        task = controller.load_more()
        await task
    assert len(controller.inbox) == 30
    assert max(controller.events.added_ids().values()) == 1


async def test_fallback_refresh_runs_while_refused_and_stops_once_connected(server, controller):
    server.faults.ws_route_status = 500
    await server.close_sockets(DEMO_EMAIL, 1011)
    await wait_for(lambda: controller.state is not ConnectionState.CONNECTED)
    created = server.state.create_notification(
        server.user(), title="via REST only", created_at="2100-01-01T00:00:00.000000Z"
    )
    await wait_for(lambda: controller.counters.fallback_refreshes >= 2, what="fallback refreshes")
    await wait_for(lambda: created["id"] in controller.inbox, what="fresh over REST")
    server.faults.ws_route_status = None
    controller.reconnect()
    await wait_for(lambda: controller.state is ConnectionState.CONNECTED and controller.in_sync)
    settled = controller.counters.fallback_refreshes
    await asyncio.sleep(FAST_CONTROLLER.fallback_interval * 4)  # several intervals: none may run
    assert controller.counters.fallback_refreshes == settled


async def test_gap_fill_after_a_restart_shows_each_new_one_exactly_once(server, controller):
    await server.stop()
    await wait_for(lambda: controller.state is not ConnectionState.CONNECTED)
    missed = [await server.create_notification(title=f"missed {i}") for i in range(45)]
    await server.start()
    await wait_for(lambda: controller.state is ConnectionState.CONNECTED, timeout=10)
    await wait_for(lambda: all(m["id"] in controller.inbox for m in missed), what="all missed ones")
    counts = controller.events.added_ids()
    assert all(counts[m["id"]] == 1 for m in missed)
    assert max(counts.values()) == 1
    assert len({n.id for n in controller.inbox}) == len(controller.inbox)
    await wait_for(lambda: controller.unread_count == server_unread(server))


async def test_marks_made_while_down_reach_the_server_when_it_returns(server, controller):
    targets = [n.id for n in controller.inbox if not n.is_read][:3]
    await server.stop()
    await wait_for(lambda: controller.state is not ConnectionState.CONNECTED)
    for nid in targets:
        controller.mark_read(nid)
    assert all(controller.inbox.get(nid).is_read for nid in targets)  # optimistic, at once
    await wait_for(lambda: controller.events.of(ActionQueued), what="queued notice")
    assert controller.outbox.pending_count == 3
    await server.start()
    await wait_for(lambda: controller.outbox.pending_count == 0, timeout=10)
    assert all(server_read_state(server, nid) for nid in targets)


async def test_marks_survive_a_restart_of_the_program(server, home):
    first = make_client(server, home)
    await first.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    ctl = first.open_controller()
    await ctl.start()
    await wait_for(lambda: ctl.loaded.is_set() and len(ctl.inbox) > 0)
    target = next(n.id for n in ctl.inbox if not n.is_read)
    await server.stop()
    ctl.mark_read(target)
    doomed = ctl.inbox[-1].id
    ctl.delete(doomed)
    await wait_for(lambda: ctl.outbox.pending_count == 2)
    await first.aclose()  # the program exits with both intents undelivered

    await server.start()
    second = make_client(server, home)
    try:
        ctl2 = second.open_controller()
        await ctl2.start()  # takes up what the first run left on disk
        await wait_for(lambda: ctl2.outbox.pending_count == 0, timeout=10)
        assert ctl2.outbox.sent == 2
        assert server_read_state(server, target)
        assert doomed not in server.user().by_id
    finally:
        await second.aclose()


async def test_already_read_400_and_deleted_404_are_handled(server, controller):
    target = next(n.id for n in controller.inbox if not n.is_read)
    server.state.set_read(server.user(), target, True)  # read elsewhere; no frame sent
    controller.mark_read(target)
    gone = controller.inbox[1].id
    server.state.delete(server.user(), gone)
    controller.mark_unread(gone)
    await wait_for(lambda: controller.outbox.pending_count == 0)
    assert not controller.events.of(ActionQueued)  # neither is an error for the user


async def test_mark_all_read_uses_bulk_then_falls_back_to_legacy(server, controller, client):
    controller.mark_all_read()
    assert controller.unread_count == 0
    await wait_for(lambda: controller.outbox.pending_count == 0)
    assert client.api.mark_all_route == "bulk" and server_unread(server) == 0

    await server.create_notification()
    server.faults.offer_bulk_actions = False
    client.api.mark_all_route = None
    controller.mark_all_read()
    await wait_for(lambda: controller.outbox.pending_count == 0)
    assert client.api.mark_all_route == "legacy" and server_unread(server) == 0


async def test_mark_unread_and_delete_reach_the_server(server, controller):
    target = next(n.id for n in controller.inbox if n.is_read)
    controller.mark_unread(target)
    doomed = controller.inbox[2].id
    controller.delete(doomed)
    assert doomed not in controller.inbox
    await wait_for(lambda: controller.outbox.pending_count == 0)
    assert not server_read_state(server, target)
    assert doomed not in server.user().by_id


async def test_filters_refetch_from_the_server(server, controller):
    await server.create_notification(title="find the needle", notification_type="new_message")
    await controller.set_filters(Filters(search="needle"))
    assert [n.title for n in controller.inbox] == ["find the needle"]
    await controller.set_filters(Filters(unread_only=True))
    assert controller.inbox and all(not n.is_read for n in controller.inbox)
    await controller.set_filters(Filters(notification_type="new_message"))
    assert all(n.notification_type == "new_message" for n in controller.inbox)
    # A live one that does not match the filter stays out of the filtered list.
    other = await server.create_notification(notification_type="welcome_email")
    matching = await server.create_notification(notification_type="new_message")
    await wait_for(lambda: matching["id"] in controller.inbox)
    assert other["id"] not in controller.inbox


async def test_five_second_tokens_closed_at_each_expiry_never_end_the_session(tmp_path):
    """5 s access tokens over 40 s, each socket closed 4001 when its token expires.

    Every expiry earns a refresh (the refreshed token was accepted, then simply
    expired); REST refreshes ahead of expiry (never a 401); nothing is lost.
    """
    async with DemoServer(access_lifetime=5, seed_count=25) as server:
        server.faults.close_on_token_expiry = True
        # The production rule for "stable" (10 s): longer than a token lives.
        realtime = msgspec.structs.replace(
            FAST_REALTIME, policy=msgspec.structs.replace(FAST_REALTIME.policy, stable_after=10.0)
        )
        client = make_client(server, tmp_path, realtime=realtime)
        await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        ctl = client.open_controller()
        states: list[tuple[ConnectionState, str]] = []
        ctl.subscribe(
            lambda e: states.append((e.state, e.reason)) if isinstance(e, StateEvent) else None
        )
        created: list[str] = []
        try:
            await ctl.start()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 41
            while loop.time() < deadline:
                created.append((await server.create_notification())["id"])
                await ctl.refresh()  # REST with the current token
                await asyncio.sleep(0.5)
            await wait_for(lambda: ctl.state is ConnectionState.CONNECTED)
            await wait_for(lambda: set(created) <= {n.id for n in ctl.inbox}, what="every one")
            assert [s for s in states if s[0] is ConnectionState.ERROR] == []
            assert not ctl.session_expired
            assert server.faults.unauthorized_answers == 0
            # One close per expiry: at least 7 in 40 s, each reconnected.
            assert ctl.counters.reconnects >= 7, ctl.counters.reconnects
            # About one refresh per 4-5 s: ahead of each expiry, not on every call.
            assert 7 <= client.auth.refresh_count <= 16, client.auth.refresh_count
        finally:
            await client.aclose()


async def test_rejected_refresh_token_ends_the_session_without_a_storm(server, controller, client):
    server.state.revoke(client.auth.session.refresh)
    await server.close_sockets(DEMO_EMAIL, 4001)
    await wait_for(lambda: controller.session_expired)
    assert controller.state is ConnectionState.ERROR and controller.reason == SESSION_EXPIRED
    calls = server.state.refresh_calls
    await asyncio.sleep(FAST_CONTROLLER.fallback_interval * 4)  # fallback ticks would show a storm
    assert server.state.refresh_calls == calls
    assert client.auth.session is None


async def test_the_cache_is_shown_before_the_network_answers(server, home):
    first = make_client(server, home)
    await first.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    ctl = first.open_controller()
    await ctl.start()
    await wait_for(lambda: ctl.loaded.is_set() and len(ctl.inbox) == 20)
    expected = [n.id for n in ctl.inbox]
    await first.aclose()

    await server.stop()  # the network will not answer at all
    second = make_client(server, home)
    try:
        ctl2 = second.open_controller()
        events = Events(ctl2)
        await ctl2.start()
        assert [n.id for n in ctl2.inbox] == expected  # before any await on the network
        assert ctl2.cached and ctl2.unread_count == server_unread(server)
        assert all(not e.live for e in events.of(NotificationAdded))
        await server.start()
        await wait_for(lambda: not ctl2.cached, timeout=10)
    finally:
        await second.aclose()


async def test_server_error_frames_reach_observers(server, controller):
    await server.send_raw(DEMO_EMAIL, '{"type": "error", "error": "[bold]boom[/]"}')
    from tiri_tui.sync.events import ServerError

    await wait_for(lambda: controller.events.of(ServerError))
    assert controller.events.of(ServerError)[0].message == "[bold]boom[/]"


async def test_no_task_is_left_after_close(server, client):
    ctl = client.open_controller()
    await ctl.start()
    await wait_for(lambda: ctl.state is ConnectionState.CONNECTED)
    await ctl.aclose()
    assert ctl.live_tasks() == 0


async def test_pages_with_bad_items_keep_the_good_ones(server, controller):
    user = server.user()
    bad = {"id": "broken", "title": None, "created_at": "2100-01-01T00:00:00Z"}
    user.notifications.insert(0, bad)
    user.by_id["broken"] = bad
    await controller.refresh()
    assert "broken" not in controller.inbox
    assert controller.counters.items_rejected >= 1
    assert len(controller.inbox) >= 19


async def test_an_interrupted_gap_fill_leaves_no_hole(server, controller):
    """A fill cut short after page 1 must not make the next one stop at page 1's ids."""
    await server.stop()
    await wait_for(lambda: controller.state is not ConnectionState.CONNECTED)
    missed = [await server.create_notification(title=f"missed {i}") for i in range(50)]
    failures = {"left": 2}

    def break_page_three(body):
        # Page 3 is the one whose "previous" link is page 2.
        if "page=2" in (body.get("previous") or "") and failures["left"]:
            failures["left"] -= 1
            return "<html>proxy error</html>"
        return body

    server.faults.page_mutator = break_page_three
    await server.start()
    await wait_for(lambda: controller.state is ConnectionState.CONNECTED, timeout=10)
    await wait_for(lambda: failures["left"] == 0, timeout=10, what="two broken fills")
    await wait_for(
        lambda: all(m["id"] in controller.inbox for m in missed), timeout=10, what="the hole filled"
    )
    counts = controller.events.added_ids()
    assert all(counts[m["id"]] == 1 for m in missed)


async def test_a_live_arrival_racing_a_page_is_not_taken_for_deleted(server, controller, client):
    """Page 1 computed, then a notification pushed live, then the page lands: keep both."""
    original = client.api.list

    async def slow_list(**kwargs):
        page = await original(**kwargs)
        racer = await server.create_notification(title="arrived while the page was in flight")
        await wait_for(lambda: racer["id"] in controller.inbox)
        slow_list.racers.append(racer["id"])
        return page

    slow_list.racers = []
    client.api.list = slow_list
    await controller.refresh()
    client.api.list = original
    assert slow_list.racers and all(r in controller.inbox for r in slow_list.racers)


async def test_a_fill_that_outlives_its_connection_does_not_close_the_gap(
    server, controller, client
):
    """Fill starts connected; the socket drops mid-fill; the fill completes while disconnected.

    The gap must stay open: otherwise live frames after the reconnect move the
    sync point past the outage, and with REST failing meanwhile, nothing ever
    walks back down to what was sent during it.
    """
    original = client.api.list
    gate = asyncio.Event()
    rest_down = {"on": False}

    async def held_list(**kwargs):
        await gate.wait()
        return await original(**kwargs)

    server.faults.page_mutator = lambda body: (
        "<html>bad gateway</html>" if rest_down["on"] else body
    )
    client.api.list = held_list
    connects, fills = controller.counters.connects, controller.counters.gap_fills
    controller.reconnect()  # the fill this connect starts is held at its first page
    await wait_for(lambda: controller.counters.connects == connects + 1)
    server.faults.ws_route_status = 500  # the socket drops and cannot come back yet
    await server.close_sockets(DEMO_EMAIL, None)
    await wait_for(lambda: controller.state is not ConnectionState.CONNECTED)
    gate.set()  # the fill finishes, disconnected
    await wait_for(lambda: controller.counters.gap_fills > fills)
    client.api.list = original
    rest_down["on"] = True  # REST fails too from here, as through a broken proxy
    missed = await server.create_notification(title="sent during the outage")
    server.faults.ws_route_status = None
    controller.reconnect()
    await wait_for(lambda: controller.state is ConnectionState.CONNECTED)
    live = await server.create_notification(title="live after the reconnect")
    await wait_for(lambda: live["id"] in controller.inbox)
    rest_down["on"] = False
    await wait_for(
        lambda: missed["id"] in controller.inbox, timeout=5, what="the outage's notification"
    )


@pytest.fixture
async def unread_deleted_offline(server, controller, client):
    """An unread one deleted while deletes cannot reach the server (it waits in
    the outbox); the server's unread count, which the badge showed before it."""
    unread = next(n for n in controller.inbox if not n.is_read)

    async def unreachable(notification_id):  # type: ignore[no-untyped-def]
        raise ServerUnreachable("cannot reach the server")

    client.api.delete = unreachable
    before = server_unread(server)
    # The count comes apart from the first page: wait until it is the server's.
    await wait_for(lambda: controller.unread_count == before, what="the server's count")
    controller.delete(unread.id)
    return before


async def test_a_pending_delete_of_an_unread_one_keeps_the_badge_down(
    controller, unread_deleted_offline
):
    """A count refreshed before the delete reached the server must not jump back up."""
    before = unread_deleted_offline
    assert controller.unread_count == before - 1
    await controller.refresh()  # the server still counts it as unread
    assert controller.outbox.pending_count == 1
    assert controller.unread_count == before - 1


async def test_a_count_over_the_socket_keeps_a_pending_delete_of_an_unread_one(
    server, controller, unread_deleted_offline
):
    """The server's count, pushed over the socket while the delete waits for it
    (it was out of reach), must not take the badge back up: the server has not
    seen the delete. (At start the socket's first count could come just after a
    quick delete.)"""
    before = unread_deleted_offline
    await server.hub.send_unread_count(server.state, server.user(DEMO_EMAIL))
    # Frames come in order: once a read one sent after it is in, the count was taken.
    after = await server.create_notification(title="read elsewhere", is_read=True)
    await wait_for(lambda: after["id"] in controller.inbox, what="the frame after the count")
    assert controller.outbox.pending_count == 1
    assert controller.unread_count == before - 1


@pytest.mark.parametrize("mark", ["mark_read", "mark_unread"])
async def test_a_mark_that_changes_nothing_sends_nothing(server, controller, mark):
    target = next(n for n in controller.inbox if n.is_read == (mark == "mark_read"))
    count = controller.unread_count
    getattr(controller, mark)(target.id)
    assert controller.outbox.pending_count == 0
    assert controller.unread_count == count
    assert controller.outbox.sent == 0


async def restart_subscribing_late(server, controller, delay: float) -> None:  # type: ignore[no-untyped-def]
    """Restart the server so that it subscribes sockets ``delay`` s after
    accepting them; return once the client reconnected and its first fill ran."""
    server.faults.subscribe_delay = delay
    await server.stop()
    await wait_for(lambda: controller.state is not ConnectionState.CONNECTED)
    fills = controller.counters.gap_fills
    await server.start()
    await wait_for(lambda: controller.state is ConnectionState.CONNECTED, timeout=10)
    await wait_for(lambda: controller.counters.gap_fills > fills, what="the first fill")


async def test_a_server_that_subscribes_sockets_late_loses_nothing(server, controller):
    """Restarted, the server accepts sockets and subscribes them only later
    (group_add after accept): what it broadcasts meanwhile never reaches the
    socket, so the sync point must not move past it on the first live frame."""
    await restart_subscribing_late(server, controller, delay=0.5)
    unheard = [(await server.create_notification(title=f"unheard {i}"))["id"] for i in range(5)]
    assert not server.hub.sockets(server.user()), "created before the subscription"
    await wait_for(lambda: server.hub.sockets(server.user()), what="the late subscription")
    heard = (await server.create_notification(title="heard live"))["id"]
    await wait_for(lambda: heard in controller.inbox, what="the live one")
    await wait_for(
        lambda: all(i in controller.inbox for i in unheard), what="the ones broadcast too early"
    )
    counts = controller.events.added_ids()
    assert all(counts[i] == 1 for i in [*unheard, heard])


async def test_a_quiet_account_on_a_late_subscribing_server_is_filled_after_the_grace(
    server, controller
):
    # Shorter than the grace: nothing follows to prove the subscription.
    await restart_subscribing_late(server, controller, delay=0.1)
    unheard = (await server.create_notification(title="unheard"))["id"]
    await wait_for(lambda: unheard in controller.inbox, what="the grace fill")


async def test_a_gap_larger_than_the_eager_pages_is_walked_to_its_end(server, home):
    """A notification sent while you were away is shown, however long you were away."""
    client = make_client(
        server, home, controller=msgspec.structs.replace(FAST_CONTROLLER, gap_fill_max_pages=2)
    )
    await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    ctl = client.open_controller()
    events = Events(ctl)
    try:
        await ctl.start()
        await wait_for(lambda: ctl.state is ConnectionState.CONNECTED and ctl.loaded.is_set())
        await server.stop()
        await wait_for(lambda: ctl.state is not ConnectionState.CONNECTED)
        away = [(await server.create_notification(title=f"away {i}"))["id"] for i in range(130)]
        await server.start()
        await wait_for(lambda: all(i in ctl.inbox for i in away), timeout=10, what="the whole gap")
        counts = events.added_ids()
        assert all(counts[i] == 1 for i in away)
    finally:
        await client.aclose()


async def test_a_session_that_ends_while_sending_a_mark_asks_for_a_login(
    server, controller, client
):
    """The refresh token refused during an outbox flush: the session is over for
    the whole controller (login form, tail exits 2), not a reconnect loop."""
    await wait_for(lambda: controller.in_sync, what="no walk left to notice it")
    session = client.auth.session
    server.state.revoke(session.refresh)
    await client.auth._set(msgspec.structs.replace(session, access="not-a-token"))
    target = next(n for n in controller.inbox if not n.is_read)
    controller.mark_read(target.id)
    await wait_for(lambda: controller.needs_login, what="the session to end")
    assert controller.code is StateCode.SESSION_EXPIRED
    assert controller.outbox.pending_count == 1  # kept for the next login
    await server.close_sockets(DEMO_EMAIL, 1001)
    calls = server.state.refresh_calls
    await asyncio.sleep(FAST_CONTROLLER.fallback_interval * 4)  # no reconnect loop
    assert server.state.refresh_calls == calls
    assert controller.state is ConnectionState.ERROR


async def test_a_filter_applies_to_what_is_held_offline_and_clearing_it_shows_all_again():
    """Offline (the server unreachable), a filter narrows what is held at once;
    clearing it shows everything again, arrivals meanwhile included; a failed
    fetch clears nothing."""
    from datetime import UTC, datetime

    from tests.support.fakes import offline_controller, sample
    from tiri_tui.sync.rules import Filters

    ctl = offline_controller()
    rows = sample(60)
    take_rows(ctl, rows)
    ctl.set_filters(Filters(unread_only=True))
    unread = [n.id for n in rows if not n.is_read]
    await wait_for(lambda: len(ctl.inbox) == len(unread), what="the held rows filtered")
    assert all(not n.is_read for n in ctl.inbox) and ctl.filtered_here
    # An arrival the filter hides is still held.
    hidden = msgspec.structs.replace(
        rows[0], id="read-arrival", is_read=True, created_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    take_rows(ctl, [hidden], live=True)
    assert "read-arrival" not in ctl.inbox
    await asyncio.sleep(0)  # the fetch fails meanwhile (UnreachableApi)
    task = ctl.set_filters(Filters())
    assert len(ctl.inbox) == 61 and ctl.inbox[0].id == "read-arrival"  # at once
    await task
    assert len(ctl.inbox) == 61  # the failed reload cleared nothing
    await ctl.aclose()


async def test_mark_all_read_is_undoable_only_when_few_enough_to_send_one_by_one():
    from tests.support.fakes import offline_controller, sample
    from tiri_tui.sync.core import UNDO_LIMIT

    few = offline_controller()
    take_rows(few, [n.with_read(False) for n in sample(UNDO_LIMIT)])
    await few.mark_all_read()
    assert few.can_undo_mark_all_read()
    assert few.undo_mark_all_read() == UNDO_LIMIT and few.inbox.unread() == UNDO_LIMIT
    assert not few.can_undo_mark_all_read()  # once
    many = offline_controller()
    take_rows(many, [n.with_read(False) for n in sample(UNDO_LIMIT + 1)])
    await many.mark_all_read()
    assert not many.can_undo_mark_all_read() and many.undo_mark_all_read() == 0
    await few.aclose()
    await many.aclose()


async def test_arrivals_are_what_is_new_to_the_person_never_the_backlog(server, controller):
    """Arrived (what alerts and rules act on): live unread ones, and what a gap
    fill finds above the first confirmed load; never the first load's pages,
    older pages, already-read ones, or one seen before."""
    await wait_for(lambda: controller.view.confirmed)
    while controller.has_more:  # older pages: the backlog, not news
        await controller.load_more()
    assert controller.events.news() == []
    live = await server.create_notification(title="live one", is_read=False)
    await server.create_notification(title="read elsewhere", is_read=True)
    await wait_for(lambda: controller.events.news(), what="the live arrival")
    await wait_for(lambda: any(n.title == "read elsewhere" for n in controller.inbox))
    assert [(e.notification.id, e.live) for e in controller.events.news()] == [(live["id"], True)]
    # A filter narrows the list, not what is news: a live one of another type arrives.
    controller.set_filters(Filters(notification_type="new_message"))
    other = await server.create_notification(title="other type", notification_type="welcome_email")
    await wait_for(lambda: len(controller.events.news()) == 2, what="the filtered-out arrival")
    assert controller.events.news()[1].notification.id == other["id"]
    # One event per arrival: shown ones as NotificationAdded(news=True), the
    # filtered-out one as Arrived.
    assert [type(e).__name__ for e in controller.events.news()] == ["NotificationAdded", "Arrived"]
    await server.stop()
    await wait_for(lambda: controller.state is not ConnectionState.CONNECTED)
    missed = [
        await server.create_notification(title=f"missed {i}", notification_type="new_message")
        for i in range(15)  # a filtered list is reloaded from page 1: these fit in it
    ]
    await server.create_notification(
        title="missed, read", notification_type="new_message", is_read=True
    )
    await server.start()
    await wait_for(lambda: controller.state is ConnectionState.CONNECTED, timeout=10)
    await wait_for(lambda: len(controller.events.news()) == 17, what="the gap's arrivals")
    found = controller.events.news()[2:]
    assert sorted(e.notification.id for e in found) == sorted(m["id"] for m in missed)
    assert not any(e.live for e in found)
    controller.set_filters(Filters())  # the unfiltered reload finds nothing new
    await wait_for(lambda: controller.view.filters_answered)
    assert len(controller.events.news()) == 17
