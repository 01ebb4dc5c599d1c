"""Deleted elsewhere: no frame announces it, so every REST walk reconciles what it covers."""

from __future__ import annotations

import asyncio
import collections

import msgspec

from tests.support.clients import FAST_CONTROLLER, make_client
from tests.support.waiting import wait_for
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.server.seed import seed_demo_user
from tiri_tui.server.state import ServerState
from tiri_tui.sync.events import NotificationAdded, NotificationRemoved
from tiri_tui.sync.rules import Filters


async def started(server: DemoServer, home, **controller):  # type: ignore[no-untyped-def]
    client = make_client(
        server, home, controller=msgspec.structs.replace(FAST_CONTROLLER, **controller)
    )
    await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    ctl = client.open_controller()
    events: list[object] = []
    ctl.subscribe(events.append)
    await ctl.start()
    await wait_for(lambda: ctl.state is ConnectionState.CONNECTED and ctl.loaded.is_set())
    return client, ctl, events


def removed(events: list[object]) -> list[str]:
    return [e.notification_id for e in events if isinstance(e, NotificationRemoved)]


async def load_everything(ctl, server: DemoServer) -> None:  # type: ignore[no-untyped-def]
    while ctl.has_more:
        task = ctl.load_more()
        if task is not None:
            await task
    assert len(ctl.inbox) == len(server.user().notifications)


async def test_deleted_elsewhere_far_below_page_one_goes_on_R(tmp_path):
    async with DemoServer(seed_count=70) as server:
        client, ctl, events = await started(server, tmp_path)
        try:
            await load_everything(ctl, server)
            victim = server.user().notifications[55]["id"]  # on page 3
            server.state.delete(server.user(), victim)  # another device; no frame
            await ctl.refresh()
            await wait_for(lambda: victim not in ctl.inbox, what="the R walk to reach page 3")
            assert removed(events) == [victim]
            assert len(ctl.inbox) == 69
        finally:
            await client.aclose()


async def test_the_background_walk_reconciles_without_being_asked(tmp_path):
    async with DemoServer(seed_count=70) as server:
        client, ctl, events = await started(server, tmp_path, reconcile_interval=0.05)
        try:
            await load_everything(ctl, server)
            victims = [server.user().notifications[i]["id"] for i in (3, 40, 69)]
            for victim in victims:
                server.state.delete(server.user(), victim)
            await wait_for(lambda: not any(v in ctl.inbox for v in victims), what="the walk")
            assert sorted(removed(events)) == sorted(victims)
        finally:
            await client.aclose()


async def test_a_gap_fill_removes_what_vanished_within_the_span_it_walked(tmp_path):
    async with DemoServer(seed_count=30) as server:
        client, ctl, events = await started(server, tmp_path)
        try:
            victim = server.user().notifications[5]["id"]
            await server.stop()
            await wait_for(lambda: ctl.state is not ConnectionState.CONNECTED)
            for i in range(30):
                await server.create_notification(title=f"while away {i}")
            server.state.delete(server.user(), victim)
            await server.start()
            await wait_for(lambda: victim not in ctl.inbox, timeout=10, what="the gap fill")
            assert removed(events) == [victim]
        finally:
            await client.aclose()


async def test_a_partial_page_removes_nothing(tmp_path):
    async with DemoServer(seed_count=30) as server:
        client, ctl, events = await started(server, tmp_path)
        try:
            victim = server.user().notifications[5]["id"]
            server.state.delete(server.user(), victim)

            def one_bad_row(body):
                body["results"][2] = {"id": "broken"}
                return body

            server.faults.page_mutator = one_bad_row
            await ctl.refresh()
            assert victim in ctl.inbox and removed(events) == []
            server.faults.page_mutator = None
            await ctl.refresh()
            assert victim not in ctl.inbox
        finally:
            await client.aclose()


async def test_a_failed_walk_removes_nothing(tmp_path):
    async with DemoServer(seed_count=250) as server:
        client, ctl, events = await started(server, tmp_path)
        try:
            await load_everything(ctl, server)
            victim = server.user().notifications[230]["id"]  # page 3 of 100
            server.state.delete(server.user(), victim)
            server.faults.page_mutator = lambda body: (
                "<html>bad gateway</html>" if "page=2" in (body.get("previous") or "") else body
            )
            failed = ctl.counters.walks_failed
            await ctl.refresh()
            await wait_for(lambda: ctl.counters.walks_failed > failed, what="page 3 to fail")
            assert victim in ctl.inbox and removed(events) == []
        finally:
            await client.aclose()


async def test_a_restarted_server_with_other_data_leaves_no_ghosts(tmp_path):
    """The demo server restarted under the dashboard: a new signing key and the
    same seeds under new ids. After logging in again, the cached old ids go and
    the new ones appear once each."""
    async with DemoServer(seed_count=40) as server:
        client, ctl, _ = await started(server, tmp_path)
        await load_everything(ctl, server)
        old = {n.id for n in ctl.inbox}
        await client.aclose()  # saves the cache
        await server.stop()
        server.state = ServerState()
        seed_demo_user(server.state, count=40)
        await server.start()
        new = {n["id"] for n in server.user().notifications}
        client, ctl, events = await started(server, tmp_path)
        try:
            assert old & {n.id for n in ctl.inbox}, "the cache was shown first"
            await ctl.refresh()
            await wait_for(lambda: {n.id for n in ctl.inbox} == new, what="only the new ids")
            added = collections.Counter(
                e.notification.id for e in events if isinstance(e, NotificationAdded)
            )
            assert all(added[i] == 1 for i in new)
        finally:
            await client.aclose()


async def test_a_page_one_taken_while_paging_further_removes_nothing(tmp_path, monkeypatch):
    """Scrolling loads page N while a refresh takes page 1: page N then continues no
    chain, so nothing between page 1 and page N may be taken for deleted."""
    async with DemoServer(seed_count=120) as server:
        client, ctl, events = await started(server, tmp_path)
        try:
            for _ in range(3):  # pages 2-4 loaded: 80 held
                await ctl.load_more()
            gate, original = asyncio.Event(), client.api.follow

            async def held_back(url):  # type: ignore[no-untyped-def]
                page = await original(url)
                await gate.wait()
                return page

            monkeypatch.setattr(client.api, "follow", held_back)
            paging = ctl.load_more()  # page 5, in flight
            await ctl.refresh()  # page 1 taken meanwhile
            gate.set()
            await paging
            assert removed(events) == []
            assert len(ctl.inbox) == 100
        finally:
            await client.aclose()


async def test_the_newest_deleted_elsewhere_goes_on_R_and_stays_gone_after_a_restart(tmp_path):
    """Swipe-to-delete on the phone most often hits the newest: page 1 is the top
    of the list, so what is held above its oldest row and missing from it is gone."""
    async with DemoServer(seed_count=45) as server:
        client, ctl, events = await started(server, tmp_path)
        try:
            await load_everything(ctl, server)
            newest = server.user().notifications[0]["id"]
            deep = server.user().notifications[33]["id"]
            for victim in (newest, deep):
                server.state.delete(server.user(), victim)  # another device; no frame
            await ctl.refresh()
            await wait_for(lambda: deep not in ctl.inbox, what="the R walk to reach page 2")
            assert newest not in ctl.inbox
            assert sorted(removed(events)) == sorted([newest, deep])
            assert len(ctl.inbox) == 43
        finally:
            await client.aclose()  # saves the cache
        await server.stop()
        client = make_client(server, tmp_path, controller=FAST_CONTROLLER)
        ctl = client.open_controller()
        try:
            await ctl.show_cached()
            assert len(ctl.inbox) == 43 and newest not in ctl.inbox
        finally:
            await client.aclose()


async def test_a_filtered_view_drops_its_newest_deleted_elsewhere(tmp_path):
    async with DemoServer(seed_count=45) as server:
        client, ctl, events = await started(server, tmp_path)
        try:
            unread = Filters(unread_only=True)
            await ctl.set_filters(unread)
            await wait_for(lambda: ctl.view.filters_answered, what="the filtered page 1")
            newest = ctl.inbox[0].id
            server.state.delete(server.user(), newest)
            await ctl.refresh()
            assert newest not in ctl.inbox
            assert removed(events) == [newest]
        finally:
            await client.aclose()


async def test_what_arrives_live_while_page_one_is_on_its_way_stays(tmp_path, monkeypatch):
    """The server computed page 1 before this one existed: its absence proves nothing."""
    async with DemoServer(seed_count=30) as server:
        client, ctl, events = await started(server, tmp_path)
        try:
            gate, answered, original = asyncio.Event(), asyncio.Event(), client.api.list

            async def held_back(**query):  # type: ignore[no-untyped-def]
                page = await original(**query)
                answered.set()
                await gate.wait()
                return page

            monkeypatch.setattr(client.api, "list", held_back)
            refreshing = ctl.refresh()
            await answered.wait()  # page 1 computed by the server, not yet taken
            fresh = await server.create_notification(title="meanwhile")
            await wait_for(lambda: fresh["id"] in ctl.inbox, what="the live frame")
            gate.set()
            await refreshing
            assert fresh["id"] in ctl.inbox
            assert removed(events) == []
        finally:
            await client.aclose()


async def test_an_older_page_of_the_list_left_behind_leaves_the_new_lists_paging_alone(
    tmp_path, monkeypatch
):
    """G's page of the unfiltered list is on its way when a filter narrows the
    list, and lands before the filtered page 1: it continues the old chain,
    never the new one — the filtered list still pages to its end."""
    async with DemoServer(seed_count=45) as server:
        for i in range(30):
            await server.create_notification(title=f"unread {i}")  # > a page of unread
        client, ctl, events = await started(server, tmp_path)
        try:
            await ctl.load_more()  # two pages held: the chain is two deep
            follow_gate, list_gate = asyncio.Event(), asyncio.Event()
            follow, listing = client.api.follow, client.api.list

            async def held_follow(url):  # type: ignore[no-untyped-def]
                page = await follow(url)
                await follow_gate.wait()
                return page

            async def held_list(**query):  # type: ignore[no-untyped-def]
                page = await listing(**query)
                await list_gate.wait()
                return page

            monkeypatch.setattr(client.api, "follow", held_follow)
            paging = ctl.load_more()  # page 3 of the unfiltered list, held
            assert paging is not None
            monkeypatch.setattr(client.api, "list", held_list)
            filtering = ctl.set_filters(Filters(unread_only=True))
            assert filtering is not None
            follow_gate.set()
            await paging  # lands first: it belongs to the list left behind
            list_gate.set()
            await filtering
            await wait_for(lambda: ctl.view.filters_answered, what="the filtered page 1")
            followed: list[str] = []

            async def recorded(url):  # type: ignore[no-untyped-def]
                followed.append(url)
                return await follow(url)

            monkeypatch.setattr(client.api, "follow", recorded)
            await load_everything_shown(ctl)
            assert followed and all("is_read=false" in url for url in followed), followed
            unread = {n["id"] for n in server.user().notifications if not n["is_read"]}
            assert {n.id for n in ctl.inbox} == unread
            assert removed(events) == []
        finally:
            await client.aclose()


async def load_everything_shown(ctl) -> None:  # type: ignore[no-untyped-def]
    while ctl.has_more:
        task = ctl.load_more()
        if task is not None:
            await task
