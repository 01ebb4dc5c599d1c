"""The account-wide keys of the dashboard: D clears the read notifications
(after a question stating the server's count), and the type filter shows the
server's unread count of each type."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from tests.support.clients import FAST_CONTROLLER, make_client
from tests.support.dashboards import SIZE, live_dashboard, until_live
from tests.support.waiting import wait_for
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.screens import ConfirmScreen, TypePickerScreen
from tiri_tui.ui.widgets import MessageLine
from tiri_tui.wire.account import shown_type


@pytest.fixture
async def dashboard(server, client):
    async with live_dashboard(client) as (app, pilot):
        yield app, pilot


def said(app: TiriApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def read_on_server(server) -> int:
    return sum(1 for n in server.user().notifications if n["is_read"])


async def test_d_asks_with_the_servers_count_then_clears_and_the_list_follows(server, dashboard):
    app, pilot = dashboard
    read = read_on_server(server)
    assert read > 0 and any(n.is_read for n in app.controller.held)
    await pilot.press("D")
    await wait_for(lambda: isinstance(app.screen, ConfirmScreen), what="the question")
    assert f"Delete the {read} read notifications on the server" in app.screen.question
    await pilot.press("n")
    await wait_for(lambda: "nothing deleted" in said(app))
    assert read_on_server(server) == read
    await pilot.press("D")
    await wait_for(lambda: isinstance(app.screen, ConfirmScreen), what="the question again")
    await pilot.press("y")
    await wait_for(lambda: f"Cleared {read:,} read notifications from the server" in said(app))
    assert read_on_server(server) == 0
    await wait_for(lambda: not any(n.is_read for n in app.controller.held), what="rows gone")
    view = app.query_one(NotificationList)
    assert all(not n.is_read for n in view.source)
    await pilot.press("D")
    await wait_for(lambda: "nothing to clear" in said(app))
    assert not isinstance(app.screen, ConfirmScreen)


async def test_d_on_a_server_without_clear_read_says_so_and_deletes_nothing(server, dashboard):
    app, pilot = dashboard
    server.faults.offer_clear_read = False
    read = read_on_server(server)
    await pilot.press("D")
    await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("y")
    await wait_for(lambda: "this server cannot clear read notifications" in said(app))
    assert read_on_server(server) == read
    assert any(n.is_read for n in app.controller.held)


async def test_d_right_after_a_mark_says_the_mark_is_still_on_its_way(server, home):
    # The real undo window: the mark waits in the outbox while D is pressed.
    slow = replace(FAST_CONTROLLER, undo_window=60.0)
    tiri = make_client(server, home, controller=slow)
    await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(tiri, bell=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until_live(app)
            view = app.query_one(NotificationList)
            await wait_for(lambda: len(view.source) >= 20)
            view.move_to(next(i for i, n in enumerate(view.source) if not n.is_read))
            await pilot.press("m")
            await pilot.press("D")
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
            read = read_on_server(server)
            await pilot.press("y")
            await wait_for(lambda: "1 change still on the way" in said(app))
            assert read_on_server(server) == read
    finally:
        await tiri.aclose()


def prompts(app: TiriApp) -> list[str]:
    options = app.screen.query_one("#type-options")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_type_filter_shows_the_servers_unread_count_of_each_type(server, dashboard):
    app, pilot = dashboard
    for _ in range(3):
        await server.create_notification(notification_type="referral_approved")
    await server.create_notification(notification_type="brand_new_type")
    wanted = server.state.unread_by_type(server.user())
    await pilot.press("t")
    await wait_for(lambda: isinstance(app.screen, TypePickerScreen))
    await wait_for(lambda: app.screen.unread is not None, what="the server's counts")
    await pilot.pause()
    shown = prompts(app)
    referral = next(p for p in shown if p.startswith("referral approved"))
    assert f"{wanted['referral_approved']} unread" in referral
    assert any(p.startswith("brand new type") and "1 unread" in p for p in shown)
    await pilot.press("escape")


async def test_the_type_filter_keeps_held_counts_when_the_server_sends_no_breakdown(
    server, dashboard
):
    app, pilot = dashboard
    server.faults.offer_breakdown = False
    counts = "/api/notifications/notifications/unread_count/"
    asked = server.faults.requests[counts]
    await pilot.press("t")
    await wait_for(lambda: isinstance(app.screen, TypePickerScreen))
    await wait_for(lambda: server.faults.requests[counts] > asked, what="the picker's request")
    await wait_for(
        lambda: not any(w.group == "breakdown" for w in app.dashboard.workers),
        what="its answer taken",
    )
    await pilot.pause()
    assert app.screen.unread is None
    shown = prompts(app)
    assert any("held" in p for p in shown) and not any("unread" in p for p in shown)
    await pilot.press("escape")


PREFERENCES = "/api/notifications/preferences/notification_preferences/"


async def test_the_dashboard_keeps_the_servers_quiet_hours_and_says_where_from(server, home):
    server.user().preferences.update(quiet_hours_start="22:00", quiet_hours_end="07:00")
    tiri = make_client(server, home)
    await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(tiri, bell=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until_live(app)
            attention = app.dashboard.alerting.attention
            await wait_for(lambda: attention.server_quiet_hours is not None, what="the hours")
            assert str(attention.quiet_hours) == "22:00-07:00"
            await pilot.press("question_mark")
            await wait_for(lambda: app.screen.__class__.__name__ == "HelpScreen")
            assert any("the server's preferences" in line for line in app.screen.alerts)
    finally:
        await tiri.aclose()


async def said_in_one_run(server, tiri, run: int) -> list[str]:
    """Everything the dashboard said until it asked the server for the
    preferences for the ``run``th time."""
    app = TiriApp(tiri, bell=False)
    told: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        say = app.dashboard.say

        def recorded(text: str, severity="information") -> None:
            told.append(text)
            say(text, severity)

        app.dashboard.say = recorded  # type: ignore[method-assign]
        await until_live(app)
        await wait_for(lambda: server.faults.requests[PREFERENCES] == run, what="asked")
        await pilot.pause()
        assert app.dashboard.alerting.attention.server_quiet_hours is None
    return told


async def test_a_server_without_preferences_is_said_once_and_not_at_the_next_start(server, home):
    server.faults.offer_preferences = False
    tiri = make_client(server, home)
    await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    try:
        for run, expected in ((1, 1), (2, 0)):
            told = await said_in_one_run(server, tiri, run)
            lacking = [t for t in told if "keeps no notification preferences" in t]
            assert len(lacking) == expected, (run, told)
    finally:
        await tiri.aclose()


async def test_the_highlight_stays_on_its_type_when_the_servers_counts_add_types(server, dashboard):
    app, pilot = dashboard
    server.faults.offer_breakdown = False  # the counts come when the test says
    await pilot.press("t")
    await wait_for(lambda: isinstance(app.screen, TypePickerScreen))
    await pilot.pause()
    options = app.screen.query_one("#type-options")
    options.highlighted = options.get_option_index("type:request_accepted")
    long_name = shown_type("x" * 60)  # as the server's breakdown reaches the picker: cut
    app.screen.show_unread({"aaa_first_of_all": 2, "request_accepted": 1, long_name: 4})
    await pilot.pause()
    assert options.get_option_at_index(options.highlighted).id == "type:request_accepted"
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    assert "type:aaa_first_of_all" in ids and not any("xxxx" in (i or "") for i in ids)
    await pilot.press("enter")
    assert app.controller.filters.notification_type == "request_accepted"
