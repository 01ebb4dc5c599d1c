"""Saved views: tabs with the server's counts, keys 1…9, and the priority filter."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from tests.support.dashboards import SIZE, list_text, offline_dashboard
from tests.support.fakes import NOW, sample
from tests.support.waiting import wait_for
from tiri_tui.server import DEMO_EMAIL
from tiri_tui.settings.config import ConfigError, load_settings
from tiri_tui.settings.customisation import Customisation, SavedView
from tiri_tui.sync.rules import Filters
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.screens import TypePickerScreen
from tiri_tui.ui.view_tabs import COUNT_DELAY, COUNT_MAX_DELAY, RecountPacer, ViewTabs

URGENT = SavedView("urgent", Filters(unread_only=True, priority="urgent"))
CHAT = SavedView("chat", Filters(types=frozenset({"new_message", "chat_room_created"})))


def server_unread(server, *, priority=None, types=None) -> int:
    return sum(
        1
        for n in server.user(DEMO_EMAIL).notifications
        if not n["is_read"]
        and (priority is None or n.get("priority", "normal") == priority)
        and (types is None or n["notification_type"] in types)
    )


def tab_labels(app: TiriApp) -> list[str]:
    tabs = app.screen.query_one(ViewTabs)
    shown = str(tabs.render())
    labels = tabs.labels()
    assert all(label in shown for label in labels)  # what is drawn, not only held
    return labels


def shown_rows(app: TiriApp) -> list:
    view = app.query_one(NotificationList)
    return [view.source[k] for k in range(len(view.source))]


async def test_views_are_tabs_with_the_servers_counts_and_keys_switch_them(server, client):
    app = TiriApp(client, bell=False, customisation=Customisation(views=(URGENT, CHAT)))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: app.controller is not None and app.controller.loaded.is_set())
        urgent = server_unread(server, priority="urgent")
        chat = server_unread(server, types=CHAT.filters.types)
        total = server.state.unread_count(server.user())
        expected = [f"1 All {total}", f"2 urgent {urgent}", f"3 chat {chat}"]
        await wait_for(lambda: tab_labels(app) == expected, 10, what=f"{expected}")
        await pilot.press("2")
        await wait_for(lambda: app.controller.view.filters_answered, what="the server's answer")
        await pilot.pause()
        rows = shown_rows(app)
        assert len(rows) == min(urgent, 20)
        assert all(n.priority == "urgent" and not n.is_read for n in rows)
        assert app.screen.query_one(ViewTabs).active_index == 1
        await pilot.press("3")
        await wait_for(lambda: app.controller.view.filters_answered)
        await pilot.pause()
        assert {n.notification_type for n in shown_rows(app)} <= CHAT.filters.types
        # A new one counts in its view once the server says so.
        await server.create_notification(
            title="Fire", priority="urgent", notification_type="new_message"
        )
        expected = [f"1 All {total + 1}", f"2 urgent {urgent + 1}", f"3 chat {chat + 1}"]
        await wait_for(lambda: tab_labels(app) == expected, 10, what=f"{expected}")
        assert shown_rows(app)[0].title == "Fire"  # live arrivals are filtered as today
        await pilot.press("1")
        await wait_for(lambda: not app.controller.filters.active)
        tabs = app.screen.query_one(ViewTabs)
        await pilot.click("#views", offset=(tabs._spans[1][0] + 1, 0))  # the mouse works too
        await wait_for(lambda: app.controller.filters == URGENT.filters, what="a click on urgent")
        await pilot.press("9")
        assert "No view 9" in str(app.screen.query_one("#message").render())


async def test_p_filters_by_priority_on_the_server(server, client):
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: app.controller is not None and app.controller.loaded.is_set())
        await pilot.press("p")
        assert isinstance(app.screen, TypePickerScreen)
        options = app.screen.query_one("#type-options")
        labels = [str(options.get_option_at_index(k).prompt) for k in range(options.option_count)]
        assert labels[0] == "All priorities" and labels[1].startswith("urgent")
        options.highlighted = 1
        await pilot.press("enter")
        await wait_for(lambda: app.controller.filters == Filters(priority="urgent"))
        await wait_for(lambda: app.controller.view.filters_answered)
        await pilot.pause()
        assert shown_rows(app) and all(n.priority == "urgent" for n in shown_rows(app))
        bar = str(app.screen.query_one("#filters").render())
        assert "priority urgent" in bar


@pytest.mark.parametrize(
    ("view", "line", "words"),
    [
        ('priority = "loud"', 3, "'priority' must be one of"),
        ('colour = "red"', 3, "unknown key 'colour'"),
        ("unread_only = 1", 3, "'unread_only' must be true or false"),
        ("", 2, "a view needs at least one of"),
        ('types = ["New Message"]', 3, "'types' must be a type name"),
    ],
)
def test_a_bad_view_is_an_error_naming_its_line(tmp_path, view, line, words):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(f"\n[views.mine]\n{view}\n")
    with pytest.raises(ConfigError, match=rf"line {line}: \[views.mine\]: {words}"):
        load_settings(environ={"TIRI_HOME": str(tmp_path)})


def test_views_are_read_in_order(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        '[views.urgent]\npriority = "urgent"\nunread_only = true\n\n'
        '[views.chat]\ntypes = ["new_message", "chat_room_created"]\n'
    )
    views = load_settings(environ={"TIRI_HOME": str(tmp_path)}).customisation.views
    assert [(v.name, v.line) for v in views] == [("urgent", 1), ("chat", 5)]
    assert views[0].filters == Filters(unread_only=True, priority="urgent")
    assert views[1].filters.types == {"new_message", "chat_room_created"}


# -- days ----------------------------------------------------------------------------------------
async def test_rows_are_grouped_by_days_under_headers_the_cursor_skips():
    base = sample(1)[0]
    rows = [
        msgspec.structs.replace(base, id=f"r{k}", title=f"Row {k}", created_at=NOW - offset)
        for k, offset in enumerate(
            [timedelta(minutes=5), timedelta(hours=1), timedelta(days=1), timedelta(days=4)]
        )
    ]
    async with offline_dashboard(rows, clock=lambda: NOW) as (app, pilot, _):
        lines = [line.strip() for line in list_text(app).splitlines()[:7]]
        assert lines[0] == "Today" and lines[3] == "Yesterday"
        four = NOW - timedelta(days=4)
        assert lines[5] == f"{four:%a} {four.day} {four:%b}"
        assert "Row 0" in lines[1] and "Row 2" in lines[4] and "Row 3" in lines[6]
        view = app.query_one(NotificationList)
        for expected in ("r1", "r2", "r3"):
            await pilot.press("j")  # from row to row: headers are not stops
            assert view.current.id == expected


def test_view_counts_are_asked_once_the_count_rests_and_now_and_then_in_a_stream():
    """Asking every second while a stream moved the count put two requests'
    work among the paints of its arrivals: ask once it rests, and while it
    never does, every COUNT_MAX_DELAY."""
    pacer, asked, armed = RecountPacer(), [], None
    for tick in range(3000):  # 30 s of arrivals, 100 a second
        now = tick / 100
        if pacer.moved(now):
            armed = now + COUNT_DELAY
        if armed is not None and now >= armed:
            wait = pacer.wait(now)
            if wait > 0:
                armed = now + wait
            else:
                asked.append(now)
                armed = None
    assert asked == pytest.approx([COUNT_MAX_DELAY, 2 * COUNT_MAX_DELAY + 0.01], abs=0.011)
    # A few moves, then rest: asked once, COUNT_DELAY after the last move.
    quiet = RecountPacer()
    assert quiet.moved(0.0) and not quiet.moved(0.5)
    assert quiet.wait(COUNT_DELAY) == pytest.approx(0.5)
    assert quiet.wait(COUNT_DELAY + 0.5) == 0.0
    assert quiet.moved(5.0)  # nothing pending after the ask: a new move arms again
