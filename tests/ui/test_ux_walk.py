"""What a walk through the dashboard as a new user found (issue 22, section 6):
focus after the details, the login form's words, the offline reason, cut text."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest
from textual.pilot import Pilot

from tests.support.fakes import NOW, offline_controller, sample
from tiri_tui.controller import NotificationController
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList


@contextlib.asynccontextmanager
async def offline_app(
    size: tuple[int, int], rows: int = 40
) -> AsyncIterator[tuple[TiriApp, Pilot, NotificationController]]:
    """The dashboard over an offline controller holding ``rows`` sample rows."""
    controller = offline_controller()
    controller.accept(sample(rows), live=False)
    app = TiriApp(controller=controller, clock=lambda: NOW, bell=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield app, pilot, controller


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


def visible(widget) -> str:  # type: ignore[no-untyped-def]
    """What the terminal shows of ``widget`` (cut to its width), line by line."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


@pytest.mark.parametrize("width", [80, 100])
async def test_filter_bar_and_metrics_keep_their_ends_in_a_narrow_terminal(width: int):
    async with offline_app((width, 24)) as (app, pilot, _controller):
        await pilot.press("f")  # unread only: the bar shows, the metrics name it
        app.screen.filter_menu.refilter(
            lambda f: dataclasses.replace(f, notification_type="volunteer_checked_in")
        )
        await pilot.pause()
        app.screen._refresh_status()
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
        n = dataclasses.replace(sample(1)[0], notification_type_display="Request Accepted")
        controller.accept([n], live=False)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        shown = visible(app.screen.query_one("#detail"))
        assert "Request Accepted (request_accepted)" in shown, shown
