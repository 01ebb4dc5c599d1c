"""b and B in the dashboard: a row snoozed leaves the list (the badge counts
it), B shows it and brings it back; a due one comes back as new, on top —
unread, highlighted, through the rules and the alerts — in the face that
brought it back."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from textual.widgets import OptionList

from tests.support.dashboards import SIZE, until_live
from tests.support.waiting import wait_for
from tiri_tui.sync.snooze_store import SnoozeStore
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.snooze_screen import SnoozeScreen
from tiri_tui.ui.snoozed_screen import SnoozedScreen
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.widgets import MessageLine


@pytest.fixture
async def dashboard(server, client):
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await until_live(app)
        await wait_for(lambda: app.dashboard.snoozing.book is not None, what="snoozes followed")
        yield app, pilot


def said(app: TiriApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def shown_ids(app: TiriApp) -> list[str]:
    source = app.dashboard.query_one(NotificationList).source
    return [source[i].id for i in range(len(source))]


def stored(app: TiriApp) -> SnoozeStore:
    return SnoozeStore(app.client.snooze_path())


async def test_b_snoozes_the_row_b_shows_it_and_brings_it_back(dashboard):
    app, pilot = dashboard
    view = app.dashboard.query_one(NotificationList)
    top = view.current
    assert top is not None
    await pilot.press("b")
    await wait_for(lambda: isinstance(app.screen, SnoozeScreen))
    await pilot.press("enter")  # the first choice: "1 hour"
    await wait_for(lambda: top.id not in shown_ids(app), what="the row gone from the list")
    book = stored(app).read(time.time())
    assert book is not None and abs(book.away[top.id].until - (time.time() + 3600)) < 60
    await wait_for(lambda: "· 1 snoozed" in app.dashboard.query_one(TopBar).badge)
    await wait_for(lambda: "B shows what is snoozed" in said(app), what="the message")
    assert view.current is not None and view.current.id != top.id
    await pilot.press("B")
    await wait_for(lambda: isinstance(app.screen, SnoozedScreen))
    title = lambda: str(app.screen.query_one("#snoozed-title").render())  # noqa: E731
    await wait_for(lambda: title().startswith("Snoozed (1)"), what="the snoozed listed")
    line = app.screen.query_one(OptionList).get_option_at_index(0).prompt
    assert top.title in str(line) and "\n" not in str(line)
    await pilot.press("u")
    await wait_for(lambda: top.id in shown_ids(app), what="back in the list")
    assert shown_ids(app)[0] == top.id  # where it was made: it was the newest
    assert "Nothing is snoozed — b snoozes" in str(app.screen.query_one("#snoozed-title").render())
    await pilot.press("escape")
    await wait_for(lambda: "snoozed" not in app.dashboard.query_one(TopBar).badge)
    assert "Unsnoozed" in said(app)


async def test_a_time_typed_in_is_shown_as_understood_and_what_is_refused(dashboard):
    app, pilot = dashboard
    top = app.dashboard.query_one(NotificationList).current
    await pilot.press("b")
    await wait_for(lambda: isinstance(app.screen, SnoozeScreen))
    understood = lambda: str(app.screen.query_one("#snooze-understood").render())  # noqa: E731
    await pilot.press("tab", *"banana", "enter")
    await wait_for(lambda: "is not a time" in understood(), what="the refusal")
    assert isinstance(app.screen, SnoozeScreen)
    await pilot.press(*("backspace",) * 6, *"45m")
    await wait_for(lambda: understood().startswith("→ until"), what="the time understood")
    await pilot.press("enter")
    await wait_for(lambda: not isinstance(app.screen, SnoozeScreen))
    book = stored(app).read(time.time())
    assert book is not None and 44 * 60 < book.away[top.id].until - time.time() <= 45 * 60
    await pilot.press("b", "escape")  # cancelled: nothing more snoozed
    assert len(stored(app).read(time.time()).away) == 1


async def test_a_due_snooze_comes_back_unread_on_top_and_is_told(dashboard):
    app, _pilot = dashboard
    controller = app.controller
    old_read = next(n for n in reversed(list(controller.held)) if n.is_read)
    assert shown_ids(app)[0] != old_read.id
    told: list[str] = []
    attention = app.dashboard.alerting.attention
    arrived = attention.arrived
    attention.arrived = lambda n: told.append(n.id) or arrived(n)  # type: ignore[method-assign]
    # Snoozed in another process (a second dashboard, the agent), and due.
    other = SnoozeStore(app.client.snooze_path())
    other.snooze(old_read, time.time() - 1)
    await wait_for(lambda: shown_ids(app)[0] == old_read.id, what="back, on top")
    await wait_for(lambda: not controller.held.get(old_read.id).is_read, what="marked unread")
    assert told == [old_read.id]
    view = app.dashboard.query_one(NotificationList)
    assert old_read.id in view._fresh  # highlighted as an arrival is
    # Under the day it came back in, not the day it was made.
    assert old_read.created_at.date() < datetime.now(UTC).date()
    view.scroll_to(y=0, animate=False, immediate=True)
    assert view.render_line(0).text.strip() == "Today"
    book = other.read(time.time())
    assert book is not None and old_read.id in book.back
    assert "snoozed" not in app.dashboard.query_one(TopBar).badge
