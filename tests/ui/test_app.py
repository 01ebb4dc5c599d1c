"""The dashboard driven by keys (Pilot), against the in-process demo server."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from tests.support.clients import make_client
from tests.support.dashboards import (
    SIZE,
    first_row_text,
    list_text,
    live_dashboard,
    offline_dashboard,
    row_line,
)
from tests.support.fakes import NOW, offline_controller, sample
from tests.support.rendered import refreshes, visible
from tests.support.serving import set_unread, take_rows
from tests.support.waiting import wait_for
from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD
from tiri_tui.sync.controller import NotificationController
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.days import day_label
from tiri_tui.ui.keymap import BY_ID, readme_table
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.screens import (
    ConfirmScreen,
    HelpScreen,
    LoginScreen,
    SearchScreen,
    TypePickerScreen,
)
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.widgets import DetailPane, MessageLine, StatusLine


def indicator_colour(top: TopBar):  # type: ignore[no-untyped-def]
    """The background the indicator is drawn on (green, orange, red, grey)."""
    return next(s.style.bgcolor for s in top.render_line(0) if "●" in s.text and s.style)


@pytest.fixture
async def dashboard(server, client):
    async with live_dashboard(client) as (app, pilot):
        yield app, pilot


def current(app: TiriApp):
    return app.query_one(NotificationList).current


async def test_first_screen_shows_list_badge_and_green_indicator(server, dashboard):
    app, _pilot = dashboard
    top = app.query_one(TopBar)
    await wait_for(lambda: "…" not in top.badge)
    assert top.badge.strip() == f"{server.state.unread_count(server.user())} unread"
    assert top.badge in visible(top)
    assert "connected" in top.indicator and top.state is ConnectionState.CONNECTED
    assert top.indicator in visible(top)
    assert indicator_colour(top) == top.get_component_rich_style("top-bar--connected").bgcolor
    first = server.user().notifications[0]
    # The day's header: the seed's newest is minutes to hours old, so which day
    # it falls on depends on the hour the test runs.
    created = datetime.fromisoformat(first["created_at"])
    assert list_text(app).splitlines()[0].strip() == day_label(created, datetime.now(UTC))
    assert first["title"] in first_row_text(app)


async def test_movement_keys(server, dashboard):
    app, pilot = dashboard
    view = app.query_one(NotificationList)
    await pilot.press("j", "j", "down")
    assert view.cursor == 3
    await pilot.press("k", "up")
    assert view.cursor == 1
    await pilot.press("G")
    last = view.cursor
    assert last == len(view.source) - 1
    await pilot.press("g")
    assert view.cursor == 0
    await pilot.press("pagedown")
    assert view.cursor == view.scrollable_content_region.height
    await pilot.press("pageup")
    assert view.cursor == 0


async def test_enter_opens_details_and_marks_read_on_the_server(server, dashboard):
    app, pilot = dashboard
    view = app.query_one(NotificationList)
    target = next(i for i, n in enumerate(view.source) if not n.is_read)
    view.move_to(target)
    nid = current(app).id
    await pilot.press("enter")
    detail = app.query_one(DetailPane)
    assert not detail.has_class("hidden")
    await wait_for(lambda: server.user().by_id[nid]["is_read"])
    await pilot.press("enter")
    assert detail.has_class("hidden")


async def test_m_u_M_change_the_server(server, dashboard):
    app, pilot = dashboard
    view = app.query_one(NotificationList)
    view.move_to(next(i for i, n in enumerate(view.source) if not n.is_read))
    nid = current(app).id
    await pilot.press("m")
    await wait_for(lambda: server.user().by_id[nid]["is_read"])
    await pilot.press("u")
    await wait_for(lambda: not server.user().by_id[nid]["is_read"])
    await pilot.press("M")
    await wait_for(lambda: server.state.unread_count(server.user()) == 0)
    await wait_for(lambda: app.query_one(TopBar).badge.strip() == "0 unread")


async def test_d_asks_and_deletes_only_on_yes(server, dashboard):
    app, pilot = dashboard
    nid = current(app).id
    await pilot.press("d")
    assert isinstance(app.screen, ConfirmScreen)
    await pilot.press("n")
    assert nid in server.user().by_id and nid in app.controller.inbox
    await pilot.press("d")
    await pilot.press("y")
    assert nid not in app.controller.inbox
    await wait_for(lambda: nid not in server.user().by_id)


async def test_r_reconnects_and_R_refreshes(server, dashboard):
    app, pilot = dashboard
    connects = app.controller.counters.connects
    await pilot.press("r")
    await wait_for(lambda: app.controller.counters.connects == connects + 1)
    quiet = server.state.create_notification(
        server.user(), title="no frame for this one", created_at="2100-01-01T00:00:00.000000Z"
    )
    await pilot.press("R")
    await wait_for(lambda: quiet["id"] in app.controller.inbox)


async def test_search_unread_only_and_type_filter(server, dashboard):
    app, pilot = dashboard
    await server.create_notification(title="Find the needle", notification_type="new_message")
    await pilot.press("slash")
    assert isinstance(app.screen, SearchScreen)
    await pilot.press(*"needle", "enter")
    await wait_for(lambda: [n.title for n in app.controller.inbox] == ["Find the needle"])
    await pilot.press("slash")
    await pilot.press("ctrl+a", "ctrl+k", "enter")  # clear the search
    await wait_for(lambda: len(app.controller.inbox) >= 20)

    await pilot.press("f")
    await wait_for(
        lambda: (
            app.controller.filters.unread_only
            and app.controller.loaded.is_set()
            and len(app.controller.inbox) > 0
        )
    )
    await wait_for(lambda: all(not n.is_read for n in app.controller.inbox))
    await pilot.press("f")
    assert not app.controller.filters.unread_only

    await pilot.press("t")
    assert isinstance(app.screen, TypePickerScreen)
    picker = app.screen.query_one("#type-options")
    index = next(
        i
        for i in range(picker.option_count)
        if picker.get_option_at_index(i).id == "type:new_message"
    )
    picker.highlighted = index
    await pilot.press("enter")
    await wait_for(lambda: app.controller.filters.notification_type == "new_message")
    await wait_for(
        lambda: (
            len(app.controller.inbox) > 0
            and all(n.notification_type == "new_message" for n in app.controller.inbox)
        )
    )


#: How Textual names keys, and how the help screen and README write them.
SHOWN_AS = {"question_mark": "?", "slash": "/", "down": "↓", "up": "↑", "pagedown": "PageDown"}
SHOWN_AS |= {"pageup": "PageUp", "enter": "enter", "escape": "esc", "asterisk": "*"}


async def test_every_key_in_force_is_in_the_help_and_q_quits(dashboard):
    """Read from what Textual really has bound (list focused), not from the keymap."""
    app, pilot = dashboard
    active = app.screen.active_bindings.items()
    # Ours (by id; Textual's own scrolling keys are not the dashboard's to explain).
    in_force = {key for key, bound in active if bound.binding.id in BY_ID}
    ids = {bound.binding.id for _, bound in active}
    await pilot.press("question_mark")
    assert isinstance(app.screen, HelpScreen)
    shown = visible(app.screen.query_one("#help-keys"))
    rows = [line.split(maxsplit=1)[0] for line in shown.splitlines() if line.strip()]
    missing = [k for k in in_force if SHOWN_AS.get(k, k) not in shown]
    assert {"home", "end", "g", "G", "m", "q"} <= in_force
    assert set(BY_ID) - {"palette"} <= ids, "a key of the keymap is not bound"
    assert missing == [], f"bound but not in the help: {missing}"
    assert len(rows) >= len(in_force) // 2
    await pilot.press("escape")
    assert not isinstance(app.screen, HelpScreen)
    await pilot.press("q")
    assert app.return_code == 0  # quit, not crashed


def test_the_readme_key_table_is_the_generated_one():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("<!-- keys: generated")[1].split("-->", 1)[1]
    table = table.split("<!-- keys: end -->")[0].strip()
    assert table == readme_table(), "run `python -m tiri_tui.ui.keymap` and paste its table"


async def test_indicator_follows_connect_stop_reconnect_and_error(server, dashboard):
    app, _pilot = dashboard
    top = app.query_one(TopBar)
    await server.stop()
    await wait_for(lambda: top.state is ConnectionState.RECONNECTING, what="orange")
    await wait_for(lambda: "retry in" in top.indicator or "reconnecting" in top.indicator)
    await server.start()
    await wait_for(lambda: top.state is ConnectionState.CONNECTED, timeout=10, what="green again")
    await server.close_sockets(DEMO_EMAIL, 4003, "forbidden")
    await wait_for(lambda: top.state is ConnectionState.ERROR, what="red")
    await _pilot.pause()
    assert indicator_colour(top) == top.get_component_rich_style("top-bar--error").bgcolor
    # The indicator fits beside the title and says which key helps; the message
    # line has the whole reason and the next step.
    assert "· r retries ·" in top.indicator
    message = str(app.screen.query_one(MessageLine).render())
    assert "not reconnecting" in message and "press r to try again now" in message


async def test_badge_follows_unread_count_frames(server, dashboard):
    app, _pilot = dashboard
    await server.send_raw(DEMO_EMAIL, '{"type": "unread_count", "data": {"unread_count": 4321}}')
    await wait_for(lambda: app.query_one(TopBar).badge.strip() == "4,321 unread")


async def test_created_notification_appears_with_markup_shown_literally(server, dashboard):
    app, _pilot = dashboard
    await server.create_notification(
        title="[bold red]x[/]", message="\x1b[2J\x1b]52;c;ZXZpbA==\x07"
    )
    await wait_for(lambda: "[bold red]x[/]" in first_row_text(app))
    row = first_row_text(app)
    assert "\x1b" not in row and "\\x1b[2J" in row


async def test_login_screen_when_not_logged_in(server, home):
    tiri = make_client(server, home)
    app = TiriApp(tiri, bell=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert isinstance(app.screen, LoginScreen)
            await pilot.click("#login-email")
            await pilot.press(*DEMO_EMAIL, "enter", *"wrong", "enter")
            await wait_for(
                lambda: "No active account" in str(app.screen.query_one("#login-error").content)
            )
            password = app.screen.query_one("#login-password")
            password.value = DEMO_PASSWORD
            await pilot.press("enter")
            await wait_for(
                lambda: (
                    app.controller is not None and app.controller.state is ConnectionState.CONNECTED
                )
            )
            assert not isinstance(app.screen, LoginScreen)
    finally:
        await tiri.aclose()


async def test_arrivals_show_in_the_list_not_as_toasts(dashboard, server):
    """Arrivals are signalled where they are: highlighted at the top of the list
    for a moment; no toast covers the rows, and the bell stays off by default."""
    app, pilot = dashboard
    before = len(app._notifications)
    rang: list[bool] = []
    app.bell = lambda: rang.append(True)
    for i in range(3):
        await server.create_notification(title=f"arrival {i}", priority="urgent")
    await wait_for(lambda: sum(n.title.startswith("arrival") for n in app.controller.inbox) == 3)
    await pilot.pause()
    view = app.query_one(NotificationList)
    assert list(app._notifications)[before:] == []
    assert view.source[0].title == "arrival 2" and view.source[0].id in view._fresh
    fresh_style = view.get_component_rich_style("notification-list--fresh")
    assert any(fresh_style.bgcolor == seg.style.bgcolor for seg in row_line(view, 0))
    assert rang == []


async def test_arrivals_above_a_scrolled_view_are_counted_until_the_top(dashboard, server):
    app, pilot = dashboard
    view = app.query_one(NotificationList)
    for i in range(30):
        await server.create_notification(title=f"filler {i}")
    await wait_for(lambda: len(view.source) >= 60, what="a list taller than the view")
    await pilot.pause()
    view.move_to(len(view.source) - 1)
    await pilot.pause()
    assert view.scroll_offset.y > 0
    for i in range(2):
        await server.create_notification(title=f"unseen {i}")
    marker = app.screen.query_one("#new-above")
    await wait_for(lambda: "2 new above" in str(marker.render()), what="the marker")
    assert not marker.has_class("hidden")
    await pilot.press("g")
    await pilot.pause()
    assert marker.has_class("hidden") and view.new_above == 0


async def test_actions_report_in_the_message_line(server, dashboard):
    """r announces its start and its end (the line keeps the latest)."""
    app, pilot = dashboard
    line = app.screen.query_one(MessageLine)
    said: list[str] = []
    original = line.say
    line.say = lambda message, severity="information": (  # type: ignore[method-assign]
        said.append(message),
        original(message, severity),
    )
    await pilot.press("r")
    await wait_for(lambda: "Connected again" in said, what="r's end")
    assert said[0] == "Reconnecting…" and not line.has_class("hidden")


async def test_100k_notifications_render_only_visible_rows():
    async with offline_dashboard(sample(100_000)) as (app, pilot, _controller):
        view = app.query_one(NotificationList)
        height = view.scrollable_content_region.height
        days = len(view.days.starts)
        assert view.virtual_size.height == 100_000 + days and days > 1
        assert 0 < len(view.rendered_rows) <= height
        assert max(view.rendered_rows) < height
        view.rendered_rows.clear()
        await pilot.press("pagedown")
        await pilot.pause()
        assert view.rendered_rows and min(view.rendered_rows) >= height - 1
        assert max(view.rendered_rows) < 2 * height + 1
        view.rendered_rows.clear()
        await pilot.press("G")
        await pilot.pause()
        assert max(view.rendered_rows) == 99_999
        assert min(view.rendered_rows) >= 100_000 - height - 1


async def test_an_expired_session_offers_the_login_screen_and_recovers(server, dashboard, client):
    app, pilot = dashboard
    old = app.controller
    server.state.revoke(client.auth.session.refresh)
    await server.close_sockets(DEMO_EMAIL, 4001)
    await wait_for(lambda: isinstance(app.screen, LoginScreen), what="login screen")
    await pilot.pause()
    assert app.query_one(TopBar).state is ConnectionState.ERROR
    app.screen.query_one("#login-email").value = DEMO_EMAIL
    password = app.screen.query_one("#login-password")
    password.value = DEMO_PASSWORD
    password.focus()
    await pilot.press("enter")
    await wait_for(
        lambda: (
            app.controller is not None
            and app.controller is not old
            and app.controller.state is ConnectionState.CONNECTED
        )
    )
    assert old.live_tasks() == 0
    # The retired controller's databases are closed now, not at exit.
    assert old.cache_writer is not None
    for db in (old.cache_writer._cache._db, old.outbox._outbox._db):
        with pytest.raises(sqlite3.ProgrammingError):
            db.execute("SELECT 1")
    await wait_for(lambda: app.query_one(TopBar).state is ConnectionState.CONNECTED)


async def test_the_retry_countdown_follows_the_apps_clock():
    """A snapshot with a fixed clock must show a fixed countdown, whatever the real time."""
    now = [NOW]
    controller = offline_controller()
    app = TiriApp(controller=controller, clock=lambda: now[0], bell=False)
    async with app.run_test() as pilot:
        controller.worker.emit_state(ConnectionState.RECONNECTING, "closed", 12.4)
        await pilot.pause()
        top = app.query_one(TopBar)
        assert "retry in 12s" in visible(top)
        now[0] = NOW + timedelta(seconds=5)
        set_unread(controller, 3)  # any change repaints the dashboard meanwhile
        await pilot.pause()
        assert "retry in 7s" in str(top.render())


async def test_log_in_again_opens_the_login_form(server, dashboard):
    """The server refuses even a freshly refreshed token: only a new login helps,
    so the form opens (not just a red indicator)."""
    app, _pilot = dashboard
    server.faults.refuse_access_tokens = True  # over REST too: the token is what is refused
    await server.close_sockets(DEMO_EMAIL, 1001)
    await wait_for(lambda: isinstance(app.screen, LoginScreen), what="login screen")
    assert app.controller.code is StateCode.LOGIN_AGAIN
    assert app.query_one(TopBar).state is ConnectionState.ERROR


async def test_a_refused_origin_names_the_origin_and_the_setting_and_asks_no_login(
    server, dashboard
):
    """An origin check refuses every handshake while REST accepts the token:
    no login form, no "log in" advice; the Origin sent and `origin` are named."""
    app, pilot = dashboard
    server.faults.allowed_origins = ("https://app.example.com",)
    await server.close_sockets(DEMO_EMAIL, 1001)
    top = app.query_one(TopBar)
    await wait_for(lambda: top.state is ConnectionState.ERROR, what="the error state")
    await pilot.pause()
    assert not isinstance(app.screen, LoginScreen)
    message = str(app.screen.query_one(MessageLine).render())
    assert f"Origin {server.url} refused" in message and "`origin`" in message, message
    assert "REST accepts the token" in message and "press r to try again" in message
    assert "log in" not in message and "l logs in" not in top.indicator
    assert f"Origin {server.url}" in top.indicator and "r retries" in top.indicator
    assert "retry in" in top.indicator


async def test_arrivals_at_the_top_stay_in_sight():
    """Reading at the top, 60 arrivals: the view stays at the top showing them, the
    cursor stays on the notification it was on (even if that leaves the view)."""
    async with offline_dashboard(sample(40)) as (app, pilot, controller):
        view = app.query_one(NotificationList)
        first = view.current
        newest = sample(100)[60:]
        for k, n in enumerate(newest):
            fresh = msgspec.structs.replace(
                n, id=f"new-{k}", created_at=NOW + timedelta(seconds=k + 1)
            )
            view.rendered_rows.clear()
            take_rows(controller, [fresh], live=True)
            await pilot.pause()
        assert view.scroll_offset.y == 0
        assert view.current is not None and view.current.id == first.id
        assert view.source[0].id == "new-39" and 0 in view.rendered_rows  # painted, in sight


async def test_a_burst_of_events_asks_for_one_paint():
    """Posting a Textual message costs more than most events: 1,000 arrivals
    between two paints queue one paint, not 1,000."""
    from textual import events

    async with offline_dashboard() as (app, pilot, controller):
        posted = []
        screen = app.dashboard
        original = screen.post_message

        def counting(message):  # type: ignore[no-untyped-def]
            if (
                isinstance(message, events.Callback)
                and getattr(message.callback, "func", None) == screen.painter.paint
            ):
                posted.append(message)
            return original(message)

        screen.post_message = counting
        for n in sample(1000):
            take_rows(controller, [n])
        assert len(posted) == 1
        await pilot.pause()
        assert len(app.query_one(NotificationList).source) == 1000
        take_rows(controller, sample(1001)[1000:])  # after the paint: asks again
        assert len(posted) == 2


async def test_cached_rows_are_painted_before_the_network_starts(server, client, monkeypatch):
    """Start-up: the network's first work (its imports, a request) never delays
    the first paint of the cached rows."""
    from tiri_tui.sync.store import NotificationCache

    session = client.auth.session
    slug = client.settings.account_slug(session.user_id or session.email)
    cache = NotificationCache(client.settings.cache_dir / f"{slug}.sqlite3")
    cache.replace(sample(50), 10)
    cache.close()
    painted_when_live: list[int] = []
    go_live = NotificationController.go_live

    def recording(controller):  # type: ignore[no-untyped-def]
        painted_when_live.append(len(app.query_one(NotificationList).rendered_rows))
        go_live(controller)

    monkeypatch.setattr(NotificationController, "go_live", recording)
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE):
        await wait_for(
            lambda: (
                app.controller is not None and app.controller.state is ConnectionState.CONNECTED
            ),
            what="connected",
        )
    assert len(painted_when_live) == 1 and painted_when_live[0] > 0


async def test_a_changing_count_never_relays_out_the_screen():
    """Every arrival changes the unread count: a relayout of the screen per
    frame of a burst cost more than the burst's rows. The badge is drawn in
    the top line, whose size never changes: a new count only redraws it."""
    async with offline_dashboard() as (app, pilot, controller):
        top = app.query_one(TopBar)
        layouts = refreshes(top)
        for count in (5, 6, 7, 10, 11):
            set_unread(controller, count)
            await pilot.pause()
        assert len(layouts) == 5 and layouts.count(True) == 0  # redrawn once a count
        assert "11 unread" in visible(top)


async def test_the_metrics_line_never_relays_out_a_wrapped_message_does():
    """The metrics line counts every arrival ("9,999 held" → "10,000 held"):
    its size is the CSS's, so a longer text only redraws it. A warning wraps
    (its height follows its text): a longer one relays out."""
    async with offline_dashboard(sample(3)) as (app, pilot, controller):
        await pilot.pause()
        status, message = app.query_one(StatusLine), app.dashboard.message_line
        layouts = {"status": refreshes(status), "message": refreshes(message)}
        take_rows(controller, sample(40)[3:])
        app.dashboard.painter.refresh_status()
        await pilot.pause()
        assert "40 held" in visible(status)
        assert layouts["status"] and not any(layouts["status"])
        message.say("short", "warning")
        message.say("a much longer warning than the one before it", "warning")
        assert layouts["message"][-1] is True


async def test_arrivals_move_the_scrollbar_without_laying_out_the_screen():
    """A stream grows the list with every arrival: while its scrollbar stays
    (shown, or not), only the list and its scrollbar are redrawn; the screen
    is laid out again only when the scrollbar comes or goes."""
    rows = sample(80)
    async with offline_dashboard(rows[76:]) as (app, pilot, controller):
        await pilot.pause()
        view = app.query_one(NotificationList)
        layouts = refreshes(view)
        assert not view.show_vertical_scrollbar
        take_rows(controller, rows[40:76], live=True)
        await pilot.pause()
        assert view.show_vertical_scrollbar and any(layouts)
        layouts.clear()
        for row in reversed(rows[:40]):
            take_rows(controller, [row], live=True)
            await pilot.pause()
        assert layouts and not any(layouts)
        height = view.days.lines
        assert view.virtual_size.height == height
        assert view.vertical_scrollbar.window_virtual_size == height
        # At the top, arrivals stay in sight; the cursor stays on its notification.
        assert view.scroll_offset.y == 0 and view.source[0] == rows[0]
        assert view.current == rows[76]


async def test_active_filters_are_in_view_the_empty_list_says_why_and_esc_clears(server, dashboard):
    app, pilot = dashboard
    bar = app.screen.query_one("#filters")
    view = app.query_one(NotificationList)
    assert bar.has_class("hidden")
    await pilot.press("slash")
    for ch in "zzzz":
        await pilot.press(ch)
    await pilot.press("enter")
    await wait_for(lambda: app.controller.filters.search == "zzzz" and not len(view.source))
    await pilot.pause()
    assert not bar.has_class("hidden") and "search “zzzz”" in str(bar.render())
    assert "No matches for “zzzz” — esc clears" in list_text(app)
    await pilot.press("enter")  # details open on an empty list: esc closes them first
    await pilot.press("escape")
    assert app.controller.filters.search == "zzzz"
    await pilot.press("escape")
    await wait_for(lambda: not app.controller.filters.active and len(view.source) >= 20)
    await pilot.pause()
    assert bar.has_class("hidden")
    assert "Filters cleared" in str(app.screen.query_one(MessageLine).render())


def test_the_empty_list_says_why():
    from tiri_tui.sync.rules import Filters
    from tiri_tui.ui.wording import empty_state

    connected = ConnectionState.CONNECTED
    assert "All caught up" in empty_state(Filters(unread_only=True), True, connected)
    assert "Nothing of type “new message”" in empty_state(
        Filters(notification_type="new_message"), True, connected
    )
    assert empty_state(Filters(), False, connected) == "Loading…"
    assert "r retries" in empty_state(Filters(), False, ConnectionState.RECONNECTING)
    assert empty_state(Filters(), True, connected) == "No notifications yet"
    # Search text from the user is shown inert, on one line.
    assert "\n" not in empty_state(Filters(search="a\n[b]\x1b[31m"), True, connected)


async def test_an_ended_session_leaves_the_cache_browsable_and_l_logs_in(server, dashboard, client):
    """esc closes the login form over the cached list; the indicator and the
    message line say what to press; l opens the form again."""
    app, pilot = dashboard
    server.state.revoke(client.auth.session.refresh)
    await server.close_sockets(DEMO_EMAIL, 4001)
    await wait_for(lambda: isinstance(app.screen, LoginScreen), what="login screen")
    await wait_for(lambda: app.screen.query(".dialog-hint"), what="the form composed")
    assert "browsable" in str(app.screen.query(".dialog-hint").last().render())
    await pilot.press("escape")
    await pilot.pause()
    assert not isinstance(app.screen, LoginScreen)
    assert len(app.query_one(NotificationList).source) >= 20  # still browsable
    assert "l logs in" in app.query_one(TopBar).indicator
    assert "l logs in" in str(app.screen.query_one(MessageLine).render())
    await pilot.press("l")
    await wait_for(lambda: isinstance(app.screen, LoginScreen), what="the form again")


async def test_l_opens_the_login_form_without_typing_an_l(server, dashboard, client):
    app, pilot = dashboard
    server.state.revoke(client.auth.session.refresh)
    await server.close_sockets(DEMO_EMAIL, 4001)
    await wait_for(lambda: isinstance(app.screen, LoginScreen), what="login screen")
    await wait_for(lambda: app.screen.query("#login-email"), what="the form composed")
    await pilot.press("escape")
    await pilot.pause()
    await pilot.press("l")
    await wait_for(lambda: isinstance(app.screen, LoginScreen), what="the form again")
    await wait_for(lambda: app.screen.query("#login-email"), what="the form composed")
    await pilot.pause()
    assert app.screen.query_one("#login-email").value == DEMO_EMAIL  # the last session's
    assert app.screen.query_one("#login-password").value == ""


async def test_at_the_end_an_arrival_keeps_the_cursor_in_view():
    async with offline_dashboard(sample(80)) as (app, pilot, controller):
        view = app.query_one(NotificationList)
        await pilot.press("G")
        await pilot.pause()
        last = view.current
        for k in range(3):
            fresh = msgspec.structs.replace(
                sample(1)[0], id=f"late-{k}", created_at=NOW + timedelta(seconds=k + 1)
            )
            take_rows(controller, [fresh], live=True)
            await pilot.pause()
            await pilot.pause()
            top, height = view.scroll_offset.y, view.size.height
            assert view.current is not None and view.current.id == last.id
            assert top <= view.cursor < top + height, (view.cursor, top, height)


async def test_g_at_the_end_of_what_is_loaded_says_more_exist(server, client):
    for _ in range(30):  # 60 on the server: the first two pages fill the screen
        await server.create_notification()
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(NotificationList)
        await wait_for(lambda: len(view.source) >= 40)
        assert app.controller.has_more
        gate, original = asyncio.Event(), client.api.follow

        async def held_back(url):  # type: ignore[no-untyped-def]
            await gate.wait()  # the page stays on its way while the message is read
            return await original(url)

        client.api.follow = held_back
        await pilot.press("G")
        line = app.screen.query_one(MessageLine)
        await wait_for(lambda: "loading older ones" in str(line.render()), what="the message")
        gate.set()
        await wait_for(lambda: len(view.source) == 60, what="the next page (all 60)")
        await wait_for(lambda: "All 60 loaded" in str(line.render()), what="the end said")


async def test_smaller_things_a_user_noticed(server, dashboard):
    """Marks say what they did and how to undo; R announces its end; the delete
    prompt tells rows with one title apart; the type picker reads like words,
    with counts; the palette has one "Keys" and the marks."""
    from tiri_tui.ui.screens import ConfirmScreen, TypePickerScreen

    app, pilot = dashboard
    line = app.screen.query_one(MessageLine)
    view = app.query_one(NotificationList)
    view.move_to(0)
    await pilot.press("m")
    assert "read — z undoes" in str(line.render())
    count = app.controller.unread_count
    await pilot.press("M")
    assert f"Marked all {count:,} read" in str(line.render())
    await pilot.press("R")
    await wait_for(lambda: "Refreshed over HTTP" in str(line.render()), what="R's end")
    await pilot.press("d")
    await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
    question = app.screen.question
    current = view.current
    assert current.created_by_name in question and "ago?" in question
    await pilot.press("n")
    await pilot.press("t")
    await wait_for(lambda: isinstance(app.screen, TypePickerScreen))
    await pilot.pause()
    options = app.screen.query_one("#type-options")
    prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    assert any("request accepted" in p for p in prompts) and any("held" in p for p in prompts)
    await pilot.press("escape")
    titles = [c.title for c in app.get_system_commands(app.screen)]
    assert titles.count("Keys") == 1 and {"Mark read", "Mark unread"} <= set(titles)


async def test_young_ages_move_by_the_second_and_details_take_a_narrow_screen():
    now = [NOW]
    async with offline_dashboard(
        [msgspec.structs.replace(sample(1)[0], created_at=NOW)], clock=lambda: now[0], size=(80, 24)
    ) as (app, pilot, _controller):
        view = app.query_one(NotificationList)
        assert row_line(view, 0).text.rstrip().endswith("now")
        now[0] = NOW + timedelta(seconds=42)
        app.screen._every_second()
        await pilot.pause()
        assert row_line(view, 0).text.rstrip().endswith("42s")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#list").display is False
        assert app.screen.query_one(DetailPane).size.width >= 78
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#list").display is True


async def test_mark_all_read_can_be_undone_while_its_message_says_so(server, dashboard):
    app, pilot = dashboard
    line = app.screen.query_one(MessageLine)
    unread_before = {n.id for n in app.controller.inbox if not n.is_read}
    assert unread_before
    await pilot.press("M")
    await wait_for(lambda: "u undoes" in str(line.render()), what="the undo offered")
    assert all(n.is_read for n in app.controller.inbox)
    await pilot.press("u")
    assert "Undone" in str(line.render())
    assert {n.id for n in app.controller.inbox if not n.is_read} == unread_before
    await wait_for(lambda: app.controller.outbox.pending_count == 0, what="sent")
    user = server.user()
    on_server = {str(n["id"]) for n in user.notifications if not n["is_read"]}
    assert unread_before <= on_server


def test_highlights_expire_oldest_first_a_re_marked_arrival_counts_from_its_last(monkeypatch):
    from tiri_tui.ui import notification_list as module
    from tiri_tui.ui.notification_list import FRESH_SECONDS

    now = [100.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    view = NotificationList(offline_controller().inbox)
    view.mark_fresh("a")
    now[0] += 1
    view.mark_fresh("b")
    now[0] += 1
    view.mark_fresh("a")  # arrived again (updated): counts from now
    now[0] += FRESH_SECONDS - 1.5
    view.expire_fresh()
    assert list(view._fresh) == ["b", "a"]
    now[0] += 1
    view.expire_fresh()
    assert list(view._fresh) == ["a"]


async def test_an_error_is_read_whole_at_80_columns_and_stays(server, client):
    """A lasting error names what to do: wrapped, not cut, and not gone in 6 s."""
    server.faults.allowed_origins = ("https://app.example.com",)
    app = TiriApp(client, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.dashboard.message_line
        await wait_for(lambda: line.has_class("-error"), what="the error said")
        await pilot.pause()
        shown = " ".join(visible(line).split())
        assert shown.endswith("press r to try again now"), shown
        assert "set `origin`" in shown and "…" not in shown
        assert MessageLine.ERROR_SECONDS > MessageLine.SECONDS


async def test_a_cache_of_rows_is_settled_when_shown_and_again_once_loaded():
    """The entry point takes a big load out of the collector's scans when told: the
    cache's rows as soon as they are shown (a full collection walking 100,000 of them
    landed on the first paint), and the first load's once it is in; never again."""
    controller = offline_controller()
    rows = sample(32)
    take_rows(controller, rows[2:])
    told: list[tuple[int, bool]] = []
    app = TiriApp(
        controller=controller,
        bell=False,
        rows_settled=lambda: told.append((len(controller.inbox), controller.loaded.is_set())),
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: told, what="the cache's rows settled")
        await pilot.pause()
        assert told == [(30, False)]
        controller.loaded.set()  # the first load is in
        take_rows(controller, [rows[1]], live=True)
        await wait_for(lambda: len(told) == 2, what="the first load settled")
        take_rows(controller, [rows[0]], live=True)
        await pilot.pause()
        await pilot.pause()
    assert told == [(30, False), (31, True)]


async def test_the_first_frame_of_the_list_shows_the_rows_already_held(monkeypatch):
    """Rows held before the screen mounts are in its first frame: a blank list a
    frame before them cost start-up a whole frame (and the network's imports,
    begun after that first refresh, competed with the second)."""
    controller = offline_controller()
    take_rows(controller, sample(5))
    first_frame: list[str] = []
    drawn = NotificationList.render_line

    def recording(self: NotificationList, y: int):  # type: ignore[no-untyped-def]
        strip = drawn(self, y)
        if y == 0 and not first_frame:
            first_frame.append(strip.text.strip())
        return strip

    monkeypatch.setattr(NotificationList, "render_line", recording)
    app = TiriApp(controller=controller, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: first_frame, what="the list's first frame")
        await pilot.pause()
    assert first_frame[0], "the list's first frame was blank"


async def test_the_app_says_once_when_its_first_frame_is_drawn():
    """The entry point resumes the collector then (it pauses it while starting)."""
    controller = offline_controller()
    take_rows(controller, sample(3))
    drawn: list[bool] = []
    app = TiriApp(controller=controller, bell=False, first_frame=lambda: drawn.append(True))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: drawn, what="the first frame")
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
    assert drawn == [True]
