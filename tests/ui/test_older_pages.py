"""Older pages: G asks for them wherever the cursor is, and says only what is true."""

from __future__ import annotations

import msgspec
from textual.pilot import Pilot

from tests.support.clients import FAST_REALTIME, make_client
from tests.support.waiting import wait_for
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.sync.rules import Filters
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.widgets import MessageLine

SIZE = (120, 32)  # the list is ~26 rows tall: the screen fill loads two pages of 20


def message(app: TiriApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


async def two_pages_loaded(app: TiriApp, pilot: Pilot[None]) -> NotificationList:
    view = app.query_one(NotificationList)
    await wait_for(
        lambda: (
            app.controller is not None
            and app.controller.state is ConnectionState.CONNECTED
            and len(view.source) == 40
        ),
        what="two pages (the screen fill's)",
    )
    await pilot.pause()
    return view


async def test_g_reaches_page_three_after_a_gap_fill_read_page_one_again(server, client):
    for _ in range(15):  # 45: three pages of 20
        await server.create_notification()
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await two_pages_loaded(app, pilot)
        assert app.controller is not None
        await app.controller.refresh()  # page 1 read again, as every connect's gap fill does
        pages = []
        original = client.api.follow

        async def counted(url):  # type: ignore[no-untyped-def]
            pages.append(url)
            return await original(url)

        client.api.follow = counted  # type: ignore[method-assign]
        for _ in range(3):
            await pilot.press("G")
            await pilot.pause()
        await wait_for(
            lambda: len(view.source) == 45, what="page 3, with the cursor on the last row"
        )
        assert len(pages) == 1 and "page=3" in pages[0], pages  # page 2 was not fetched again
        await wait_for(lambda: "All 45 loaded" in message(app), what="the end said")
        await pilot.press("G")
        await pilot.pause()
        assert "All 45 loaded" in message(app) and "loading older" not in message(app)


async def test_filtering_says_nothing_about_older_pages(server, client):
    for _ in range(15):
        await server.create_notification()
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: app.controller is not None and app.controller.loaded.is_set())
        assert app.controller is not None and app.controller.has_more
        await pilot.press("j", "j", "j")  # the reset puts the cursor back on the first row
        task = app.controller.set_filters(Filters(unread_only=True))
        assert task is not None
        await task
        await pilot.pause()
        assert "loading older" not in message(app)


async def test_g_while_the_server_is_down_says_it_could_not_load(server: DemoServer, home):
    for _ in range(30):
        await server.create_notification()
    # One retry, then none: the outage's state (and its line) settles before G.
    policy = msgspec.structs.replace(FAST_REALTIME.policy, max_attempts=1, slow_retry=None)
    client = make_client(
        server, home, realtime=msgspec.structs.replace(FAST_REALTIME, policy=policy)
    )
    await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(client, bell=False)
    async with app.run_test(size=(120, 12)) as pilot:  # short: one page fills the screen
        view = app.query_one(NotificationList)
        await wait_for(lambda: app.controller is not None and app.controller.has_more)
        assert app.controller is not None
        held = len(view.source)
        await server.stop()
        await wait_for(lambda: app.controller.state is ConnectionState.ERROR, what="the outage")
        await wait_for(lambda: "try again now" in message(app), what="the outage said")
        await pilot.press("G")
        await wait_for(lambda: "could not be loaded" in message(app), what="the failure said")
        assert "G tries again" in message(app)
        assert len(view.source) == held
        await server.start()
        await pilot.press("G")
        await wait_for(lambda: len(view.source) > held, what="G tried again")
    await client.aclose()


async def test_a_taller_terminal_loads_older_rows_with_no_key_pressed(server, client):
    for _ in range(20):  # 60: three pages of 20
        await server.create_notification()
    app = TiriApp(client, bell=False)
    async with app.run_test(size=(120, 12)) as pilot:  # short: page 1 fills it
        view = app.query_one(NotificationList)
        await wait_for(lambda: app.controller is not None and app.controller.has_more)
        await pilot.pause()
        assert len(view.source) == 20
        # Taller: the list says how many rows it can show; nothing else happens
        # (no key, no frame), and the older pages come until it has them.
        await pilot.resize_terminal(120, 50)
        await wait_for(lambda: len(view.source) >= 40, what="older rows for the taller list")
        await pilot.pause()
        assert "loading older" not in message(app)  # nobody asked: nothing to say
