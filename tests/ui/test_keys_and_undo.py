"""Issue 22 (UX walk 5, 6, 12, 13): messages name the keys in force, every mark
and delete says what it did and can be undone while it has not left, ctrl+c
quits, and the keys people bring from neomutt, lazygit and gh-dash."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import msgspec
import pytest
from textual.pilot import Pilot

from tests.support.clients import FAST_CONTROLLER, make_client
from tests.support.fakes import NOW, offline_controller, sample
from tests.support.rendered import visible
from tests.support.serving import set_unread, take_rows
from tests.support.waiting import wait_for
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD
from tiri_tui.settings.customisation import Customisation, KeyChoice, SavedView
from tiri_tui.sync.controller import UNDO_SECONDS, NotificationController
from tiri_tui.sync.rules import Filters
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.keymap import readme_table
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.screens import ConfirmScreen, HelpScreen, LoginScreen
from tiri_tui.ui.widgets import MessageLine

SIZE = (120, 32)


@contextlib.asynccontextmanager
async def dashboard(
    rows: list, size: tuple[int, int] = SIZE, **options: object
) -> AsyncIterator[tuple[TiriApp, Pilot, NotificationController]]:
    """The dashboard over an offline controller holding ``rows`` (its intents
    stay queued: the network is down)."""
    controller = offline_controller()
    take_rows(controller, rows)
    set_unread(controller, sum(not n.is_read for n in rows))
    app = TiriApp(controller=controller, clock=lambda: NOW, bell=False, **options)  # type: ignore[arg-type]
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield app, pilot, controller


def said(app: TiriApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def cursor(app: TiriApp) -> int:
    return app.query_one(NotificationList).cursor


REMAPPED = Customisation(
    keymap=(
        KeyChoice("mark_read", "w"),
        KeyChoice("undo", "U"),
        KeyChoice("first", "H"),
        KeyChoice("back", "ctrl+g"),
        KeyChoice("unread_only", "F"),
    )
)


# -- 5: messages name the keys in force ----------------------------------------------------------
async def test_messages_and_help_name_the_remapped_keys():
    async with dashboard(sample(6), customisation=REMAPPED) as (app, pilot, controller):
        await pilot.press("w")
        assert "U undoes" in said(app) and "z undoes" not in said(app)
        await pilot.press("j", "space", "space")
        assert "w, u or d acts on them; ctrl+g clears the marks" in said(app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = " ".join(visible(app.screen.query_one("#help-keys")).split())
        assert "then w, u, d act on every marked row" in help_text
        assert "ctrl+g clears the marks" in help_text
        legend = " ".join(visible(app.screen.query_one("#help-legend")).split())
        assert "(H: the top)" in legend
        await pilot.press("escape")
        controller.set_filters(Filters(unread_only=True))
        await pilot.pause()
        assert "ctrl+g clears" in str(app.screen.query_one("#filters").render())
        assert "esc clears" not in str(app.screen.query_one("#filters").render())


async def test_the_new_above_marker_names_the_first_key_in_force():
    async with dashboard(sample(40), customisation=REMAPPED) as (app, pilot, controller):
        await pilot.press("pagedown", "pagedown")
        arrival = msgspec.structs.replace(sample(1)[0], id="fresh", created_at=NOW)
        take_rows(controller, [arrival], live=True)
        marker = app.screen.query_one("#new-above")
        await wait_for(lambda: "new above" in str(marker.render()))
        assert "H goes to the top" in str(marker.render())


# -- 6: a result line and an undo for every mark and delete ---------------------------------------
async def test_d_on_one_row_says_so_and_z_brings_it_back_before_it_left():
    rows = sample(5)
    async with dashboard(rows) as (app, pilot, controller):
        first = app.query_one(NotificationList).current
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await pilot.pause()
        assert first.id not in controller.held
        assert f"Deleted “{first.title}” — z undoes" in said(app)
        assert controller.outbox.pending_count == 1
        await pilot.press("z")
        assert controller.held.get(first.id) == first
        assert "Undone: deleted" in said(app)
        assert controller.outbox.pending_count == 0
        await pilot.press("ctrl+z")
        assert "Nothing to undo" in said(app)


async def test_a_single_mark_and_marked_rows_are_undone_and_a_no_op_says_so():
    rows = sample(6)  # rows 0 and 1 unread, 2 read
    async with dashboard(rows) as (app, pilot, controller):
        await pilot.press("u")
        assert "is unread already — nothing changed" in said(app)
        assert controller.outbox.pending_count == 0
        await pilot.press("m")
        assert "read — z undoes" in said(app)
        await pilot.press("m")
        assert "is read already — nothing changed" in said(app)
        await pilot.press("z")
        assert not controller.held.get(rows[0].id).is_read
        assert controller.outbox.pending_count == 0
        await pilot.press("space", "space")
        await pilot.press("m")
        assert "Marked 2 read — z undoes" in said(app)
        assert controller.held.get(rows[1].id).is_read
        await pilot.press("z")
        assert not controller.held.get(rows[0].id).is_read
        assert not controller.held.get(rows[1].id).is_read
        assert controller.unread_count == sum(not n.is_read for n in rows)
        assert controller.outbox.pending_count == 0


async def test_against_a_server_an_undone_delete_and_mark_never_reach_it_and_z_undoes_mark_all(
    server, home
):
    client = make_client(  # the real undo window: the keys below come well within it
        server, home, controller=msgspec.structs.replace(FAST_CONTROLLER, undo_window=UNDO_SECONDS)
    )
    await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: app.controller is not None and app.controller.loaded.is_set())
        await wait_for(lambda: len(app.query_one(NotificationList).source) >= 20)
        controller = app.controller
        view = app.query_one(NotificationList)
        view.move_to(next(i for i, n in enumerate(view.source) if not n.is_read))
        target = view.current
        await pilot.press("m")
        assert "z undoes" in said(app)
        await pilot.press("z")
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("z")
        assert "Undone: deleted" in said(app)
        assert controller.outbox.pending_count == 0
        on_server = {str(n["id"]): n for n in server.user().notifications}
        assert target.id in on_server and not on_server[target.id]["is_read"]
        unread = {n.id for n in controller.inbox if not n.is_read}
        await pilot.press("M")
        await wait_for(lambda: "u undoes" in said(app), what="the undo offered")
        await pilot.press("z")
        assert "Undone" in said(app)
        assert {n.id for n in controller.inbox if not n.is_read} == unread
    await client.aclose()


# -- 12: ctrl+c quits ------------------------------------------------------------------------------
@pytest.mark.parametrize("first", [(), ("question_mark",), ("slash",)])
async def test_ctrl_c_quits_as_in_every_terminal_tool(first):
    """From the list, the help screen and the search field (whose own ctrl+c copies)."""
    async with dashboard(sample(3)) as (app, pilot, _controller):
        await pilot.press(*first)
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0  # quit, not crashed


# -- 13: n / N, half and full pages, counts, y ------------------------------------------------------
async def test_unread_jumps_pages_and_counts():
    rows = sample(60)  # every third one read
    async with dashboard(rows, size=(120, 24)) as (app, pilot, _controller):
        view = app.query_one(NotificationList)
        await pilot.press("5")
        assert "5… (j/k/n or another move repeats this often)" in said(app)
        await pilot.press("j")
        assert cursor(app) == 5
        assert "repeats this often" not in said(app)  # used: no longer true
        await pilot.press("j")
        assert cursor(app) == 6  # the count was used once
        await pilot.press("k", "n")
        assert cursor(app) == 6  # 5 is read (5 % 3 == 2): 6 is the next unread
        await pilot.press("2", "n")
        assert cursor(app) == 9  # 7, then 9 (8 is read)
        await pilot.press("N")
        assert cursor(app) == 7
        height = view.scrollable_content_region.height
        await pilot.press("g", "ctrl+d")
        assert cursor(app) == height // 2
        await pilot.press("ctrl+u")
        assert cursor(app) == 0
        await pilot.press("ctrl+f")
        assert cursor(app) == height
        await pilot.press("ctrl+b")
        assert cursor(app) == 0
        await pilot.press("1", "2", "j")
        assert cursor(app) == 12
        await pilot.press("G", "n")
        assert "No more unread below" in said(app) or "No unread below" in said(app)


async def test_a_digit_that_names_a_view_switches_to_it_and_the_others_count():
    views = (SavedView("Unread", Filters(unread_only=True)),)
    custom = Customisation(views=views)
    async with dashboard(sample(30), customisation=custom) as (app, pilot, controller):
        await pilot.press("3", "j")
        assert cursor(app) == 3 and not controller.filters.unread_only
        await pilot.press("2")
        await pilot.pause()
        assert controller.filters.unread_only


async def test_y_copies_the_notification_without_control_characters():
    hostile = msgspec.structs.replace(
        sample(1)[0],
        title="Pay\x1b]52;c;ZXZpbA==\x07 now\u202e",
        message="line one\nline\x1b[2J two",
        created_by_name="Eve\x07",
    )
    async with dashboard([hostile]) as (app, pilot, _controller):
        await pilot.press("y")
        copied = app.clipboard
        assert copied.startswith("Pay]52;c;ZXZpbA== now\nfrom Eve\n")
        assert copied.endswith("line one\nline[2J two")
        assert all(c == "\n" or c >= " " for c in copied)
        assert "\u202e" not in copied and "\x1b" not in copied
        assert "Copied" in said(app)


# -- every key in the keymap data, the help screen and the README ------------------------------------
async def test_the_new_keys_are_remappable_and_in_help_and_the_readme():
    custom = Customisation(keymap=(KeyChoice("next_unread", "J"), KeyChoice("copy", "c")))
    async with dashboard(sample(9), customisation=custom) as (app, pilot, _controller):
        await pilot.press("J")
        assert cursor(app) == 1
        await pilot.press("c")
        assert app.clipboard.startswith(sample(9)[1].title)
        await pilot.press("question_mark")
        help_text = " ".join(visible(app.screen.query_one("#help-keys")).split())
        for words in ("next unread", "half a page down", "undo the last", "copy the notification"):
            assert words in help_text
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for id_ in ("next_unread", "previous_unread", "half_page_down", "undo", "copy"):
        assert f"`{id_}`" in readme_table() and f"`{id_}`" in readme


async def test_the_login_form_names_the_log_in_key_in_force(server, home):
    client = make_client(server, home)  # never logged in: the form opens
    custom = Customisation(keymap=(KeyChoice("log_in", "ctrl+l"),))
    try:
        app = TiriApp(client, bell=False, customisation=custom)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(lambda: isinstance(app.screen, LoginScreen))
            await pilot.pause()
            hint = str(app.screen.query_one(".dialog-hint").render())
            assert "(ctrl+l opens it again)" in hint
    finally:
        await client.aclose()


class GatedApi:
    """Accepts every call once the test opens the gate."""

    mark_all_route = None

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    def paused_for(self) -> float:
        return 0.0  # never rate limited

    def when_login_required(self, watcher: Callable[[], None]) -> Callable[[], None]:
        return lambda: None  # no call here ever needs a login

    def __getattr__(self, name: str):
        async def call(*args: object) -> None:
            await self.gate.wait()

        return call


async def test_the_metrics_line_follows_the_outbox_when_an_intent_leaves():
    """An intent that leaves (its undo window over) changes no row: the metrics
    line must still stop saying it waits."""
    api = GatedApi()
    controller = offline_controller(api=api)
    rows = sample(3)
    take_rows(controller, rows)
    app = TiriApp(controller=controller, clock=lambda: NOW, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")  # the metrics line on
        controller.mark_read(rows[0].id)  # its request waits at the gate
        status = app.screen.query_one("#status")
        await wait_for(lambda: "outbox 1" in str(status.render()), what="the mark waiting")
        api.gate.set()
        await wait_for(lambda: controller.outbox.pending_count == 0, what="sent")
        await wait_for(lambda: "outbox 0" in str(status.render()), what="the line following")
