"""What a walk through the dashboard as a new user found (issue 22, section 6):
focus after the details, the login form's words, the offline reason, cut text."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import msgspec
import pytest
from rich.cells import cell_len
from textual.pilot import Pilot

from tests.support.clients import FAST_REALTIME, make_client
from tests.support.fakes import NOW, offline_controller, sample
from tests.support.rendered import visible
from tests.support.serving import take_rows
from tests.support.waiting import wait_for
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD
from tiri_tui.settings.customisation import Customisation, KeyChoice
from tiri_tui.sync.controller import NotificationController
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.screens import LoginScreen
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.widgets import MessageLine


@contextlib.asynccontextmanager
async def offline_app(
    size: tuple[int, int], rows: int = 40
) -> AsyncIterator[tuple[TiriApp, Pilot, NotificationController]]:
    """The dashboard over an offline controller holding ``rows`` sample rows."""
    controller = offline_controller()
    take_rows(controller, sample(rows))
    app = TiriApp(controller=controller, clock=lambda: NOW, bell=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield app, pilot, controller


@pytest.fixture
async def live(server, home):  # type: ignore[no-untyped-def]
    """The dashboard connected to the embedded server, first page shown; it
    retries for as long as a test lasts (never gives up into ``error``)."""
    patient = msgspec.structs.replace(FAST_REALTIME.policy, max_attempts=10_000)
    tiri = make_client(
        server, home, realtime=msgspec.structs.replace(FAST_REALTIME, policy=patient)
    )
    await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(tiri, bell=False)
    async with app.run_test(size=(120, 32)) as pilot:
        await wait_for(
            lambda: (
                app.controller is not None
                and app.controller.state is ConnectionState.CONNECTED
                and app.controller.loaded.is_set()
            )
        )
        await pilot.pause()
        yield app, pilot
    await tiri.aclose()


@pytest.mark.parametrize("width", [80, 95, 120])
@pytest.mark.parametrize("close", ["escape", "enter"])
async def test_the_list_has_the_keys_again_once_the_details_close(width: int, close: str):
    """Below 100 columns the details take the whole screen and the list is
    hidden: closing them must give the keys back to the list (j, g, m)."""
    async with offline_app((width, 24)) as (app, pilot, controller):
        view = app.query_one(NotificationList)
        await pilot.press("j")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(close)
        await pilot.pause()
        assert app.focused is view
        await pilot.press("j", "j")
        assert view.cursor == 3
        await pilot.press("g")
        assert view.cursor == 0
        first = view.current
        assert first is not None and not first.is_read
        await pilot.press("m")
        assert controller.inbox.get(first.id).is_read


@pytest.mark.parametrize("width", [80, 100])
async def test_filter_bar_and_metrics_keep_their_ends_in_a_narrow_terminal(width: int):
    async with offline_app((width, 24)) as (app, pilot, _controller):
        await pilot.press("f")  # unread only: the bar shows, the metrics name it
        app.screen.filter_menu.refilter(
            lambda f: msgspec.structs.replace(f, notification_type="volunteer_checked_in")
        )
        await pilot.pause()
        app.screen.painter.refresh_status()
        await pilot.pause()
        bar = visible(app.screen.query_one("#filters"))
        assert "unread only" in bar and "esc clears" in bar, bar
        status = visible(app.screen.query_one("#status")).rstrip()
        assert "…" not in status and status.endswith("outbox 0"), status


async def test_the_help_uses_the_width_and_indents_what_wraps():
    async with offline_app((200, 50)) as (app, pilot, _controller):
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query_one("#help-box").outer_size.width >= 100
    async with offline_app((80, 24)) as (app, pilot, _controller):
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one("#help-box")
        assert box.outer_size.width >= 76
        lines = visible(app.screen.query_one("#help-keys")).splitlines()
        space = next(i for i, line in enumerate(lines) if line.strip().startswith("space"))
        description_at = lines[space].index("mark / unmark")
        wrapped = lines[space + 1]
        assert wrapped.strip(), "the description of space fits: make the test's row longer"
        assert len(wrapped) - len(wrapped.lstrip()) == description_at, lines[space : space + 2]


async def test_the_details_give_the_types_id_beside_its_label():
    """Rules, links and views name a type by its id: the details must show it."""
    async with offline_app((120, 32), rows=0) as (app, pilot, controller):
        n = msgspec.structs.replace(sample(1)[0], notification_type_display="Request Accepted")
        take_rows(controller, [n])
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        shown = visible(app.screen.query_one("#detail"))
        assert "Request Accepted (request_accepted)" in shown, shown


async def test_offline_the_screen_says_why_and_R_says_what_failed(server, live):
    app, pilot = live
    port = server.port
    said: list[str] = []
    line = app.screen.query_one(MessageLine)
    original = line.say
    line.say = lambda message, severity="information": (  # type: ignore[method-assign]
        said.append(message),
        original(message, severity),
    )
    await server.stop()
    indicator = app.query_one(TopBar)
    why = f"server not accepting connections at 127.0.0.1:{port}"
    await wait_for(lambda: any(why in m for m in said), what="the reason in the message line")
    assert app.controller.state is ConnectionState.RECONNECTING, said
    await wait_for(lambda: "not accepting" in str(indicator.render()), what="the reason in sight")
    await pilot.press("f")  # filtered while there is no server to answer
    await pilot.pause()
    bar = str(app.screen.query_one("#filters").render())
    assert "the server's answer follows" not in bar and "offline" in bar, bar
    said.clear()
    await pilot.press("R")
    await wait_for(lambda: any(m.startswith("Refresh failed") for m in said), what="R's end")
    failed = next(m for m in said if m.startswith("Refresh failed"))
    assert f"127.0.0.1:{port}" in failed and "the log has why" not in failed, failed


def said_on(app: TiriApp) -> list[str]:
    """Every message the dashboard's message line says from now on."""
    said: list[str] = []
    line = app.dashboard.query_one(MessageLine)
    original = line.say
    line.say = lambda message, severity="information": (  # type: ignore[method-assign]
        said.append(message),
        original(message, severity),
    )
    return said


async def test_an_ended_session_says_why_offers_the_e_mail_and_keeps_the_filters(server, live):
    app, pilot = live
    await pilot.press("f")  # unread only, answered by the server
    await wait_for(lambda: not app.controller.filtered_here, what="the server's filtered page")
    old = app.controller
    said = said_on(app)
    server.state.revoke(app.client.auth.session.refresh)
    await server.close_sockets(DEMO_EMAIL, 4001)
    await wait_for(lambda: isinstance(app.screen, LoginScreen), what="the login form")
    await wait_for(lambda: app.screen.query("#login-password"), what="the form composed")
    await pilot.pause()
    form = app.screen
    words = " ".join(visible(w) for w in form.query("Static, Label"))
    assert "session ended" in words, words
    assert form.query_one("#login-email").value == DEMO_EMAIL
    assert app.focused is form.query_one("#login-password")  # the e-mail is there already
    # Nothing tells the person to press l while the form is open: it would type an "l".
    indicator = app.dashboard.query_one(TopBar).indicator
    assert "logs in" not in indicator, indicator
    assert not [m for m in said if "press l" in m or "l logs in" in m], said
    await pilot.press(*DEMO_PASSWORD, "enter")
    await wait_for(
        lambda: (
            app.controller is not old
            and app.controller is not None
            and app.controller.state is ConnectionState.CONNECTED
            and app.controller.loaded.is_set()
        ),
        what="the new session",
    )
    assert app.controller.filters.unread_only, "the filters in force were dropped"
    await wait_for(lambda: not app.controller.filtered_here, what="the server's filtered page")
    assert len(app.controller.inbox) and all(not n.is_read for n in app.controller.inbox)
    assert "unread only" in str(app.dashboard.query_one("#filters").render())


async def test_escaping_the_form_after_the_session_ended_names_the_key_in_force(server, home):
    tiri = make_client(server, home)
    await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    custom = Customisation(keymap=(KeyChoice("log_in", "i"),))
    app = TiriApp(tiri, bell=False, customisation=custom)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(
                lambda: (
                    app.controller is not None and app.controller.state is ConnectionState.CONNECTED
                )
            )
            said = said_on(app)
            server.state.revoke(tiri.auth.session.refresh)
            await server.close_sockets(DEMO_EMAIL, 4001)
            await wait_for(lambda: isinstance(app.screen, LoginScreen), what="the login form")
            await wait_for(lambda: app.screen.query("#login-email"), what="the form composed")
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, LoginScreen)
            assert any("Not logged in" in m and "i logs in" in m for m in said), said
            assert "i logs in" in visible(app.dashboard.query_one(TopBar))
            await pilot.press("i")
            await wait_for(lambda: isinstance(app.screen, LoginScreen), what="the form again")
    finally:
        await tiri.aclose()


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 32), (200, 50)])
async def test_a_logged_out_start_says_so_and_the_forms_hint_is_whole(server, home, size):
    tiri = make_client(server, home)
    custom = Customisation(keymap=(KeyChoice("log_in", "i"),))
    app = TiriApp(tiri, bell=False, customisation=custom)
    try:
        async with app.run_test(size=size) as pilot:
            await wait_for(lambda: isinstance(app.screen, LoginScreen), what="the login form")
            await wait_for(lambda: app.screen.query(".dialog-hint"), what="the form composed")
            await pilot.pause()
            hint = app.screen.query(".dialog-hint").last()
            shown = " ".join(visible(hint).split())
            whole = " ".join(str(hint.render()).split())
            assert shown == whole and "…" not in shown, (shown, whole)
            box = app.screen.query_one("#login-box").content_region
            assert box.contains_region(hint.region), (box, hint.region)
            assert "tiri-tui demo" in shown and "i opens it again" in shown, shown
            await pilot.press("escape")
            await pilot.pause()
            empty = " ".join(visible(app.query_one(NotificationList)).split())
            assert "Not logged in — i logs in" in empty and "tiri-tui demo" in empty, empty
    finally:
        await tiri.aclose()


async def test_the_filter_bar_stops_waiting_once_the_server_answered(server, live):
    """An answer that changes nothing held still ends "the server's answer follows"."""
    app, _pilot = live
    held = {n.id for n in app.controller.inbox}
    kinds = {n["notification_type"] for n in server.user().notifications}
    # A type the server has nothing more of than is held: its answer changes nothing.
    kind = next(
        k
        for k in sorted(kinds)
        if all(
            str(n["id"]) in held for n in server.user().notifications if n["notification_type"] == k
        )
    )
    app.dashboard.filter_menu.refilter(lambda f: msgspec.structs.replace(f, notification_type=kind))
    await wait_for(lambda: not app.controller.filtered_here, what="the server's answer")
    bar = app.dashboard.query_one("#filters")
    await wait_for(lambda: "answer follows" not in str(bar.render()), timeout=3, what="the bar")


@pytest.mark.parametrize("width", [80, 100, 200])
async def test_the_indicator_fits_beside_the_title_with_its_key_in_sight(width: int):
    why = "server not accepting connections at notifications.tiri.example:443"
    async with offline_app((width, 24)) as (app, pilot, controller):
        top = app.dashboard.query_one(TopBar)
        controller.worker.emit_state(ConnectionState.RECONNECTING, why, 12)
        await pilot.pause()
        line = visible(top)
        assert top.region.right <= width and cell_len(line) <= width
        assert "retry in" in line and "server not" in line
        # The title and the badge stay in sight beside it.
        assert line.startswith(" tiri-tui ") and "… unread" in line, line
        controller.worker.emit_state(ConnectionState.ERROR, f"gave up after 10 attempts: {why}")
        await pilot.pause()
        assert "r retries" in visible(top), visible(top)
        assert visible(top).startswith(" tiri-tui ")


async def test_the_login_form_fits_24_rows_with_its_reason_and_hint(server, home):
    tiri = make_client(server, home)
    await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(tiri, bell=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(
                lambda: (
                    app.controller is not None and app.controller.state is ConnectionState.CONNECTED
                )
            )
            server.state.revoke(tiri.auth.session.refresh)
            await server.close_sockets(DEMO_EMAIL, 4001)
            await wait_for(lambda: isinstance(app.screen, LoginScreen), what="the login form")
            await wait_for(lambda: app.screen.query(".dialog-hint"), what="the form composed")
            await pilot.pause()
            box = app.screen.query_one("#login-box").content_region
            for part in app.screen.query("#login-why, Input, Button, .dialog-hint"):
                assert box.contains_region(part.region), (part, part.region, box)
    finally:
        await tiri.aclose()
