"""Z in the dashboard: do not disturb for a while (a choice, or typed in),
shown in the header with the time left; Z again turns it off, with the
catch-up line."""

from __future__ import annotations

import time

import pytest

from tests.support.dashboards import SIZE, until_live
from tests.support.waiting import wait_for
from tiri_tui.attention.do_not_disturb import DoNotDisturb
from tiri_tui.settings.do_not_disturb_file import read_state, state_path, write_state
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.do_not_disturb_screen import DoNotDisturbScreen
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.widgets import MessageLine


@pytest.fixture
async def dashboard(server, client):
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await until_live(app)
        yield app, pilot


def said(app: TiriApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


async def test_z_turns_it_on_for_an_hour_shows_it_and_z_again_turns_it_off(dashboard, server):
    app, pilot = dashboard
    path = state_path(app.client.settings.data_dir)
    await pilot.press("Z")
    await wait_for(lambda: isinstance(app.screen, DoNotDisturbScreen))
    await pilot.press("down", "enter")  # "for 1 hour"
    await wait_for(lambda: read_state(path) is not None, what="the shared state written")
    state = read_state(path)
    assert state is not None and abs(state.until - (time.time() + 3600)) < 60
    await wait_for(lambda: "Do not disturb: on for 1h — Z turns it off" in said(app))
    top = app.query_one(TopBar)
    await wait_for(lambda: "· dnd 1h" in top.badge, what="the header")
    await pilot.press("question_mark")
    await wait_for(lambda: hasattr(app.screen, "alerts"))
    assert "do not disturb: on, 1h left (Z turns it off)" in app.screen.alerts
    await pilot.press("escape")
    await arrival_while_on(app, server)
    await pilot.press("Z")
    await wait_for(lambda: read_state(path) is None, what="turned off")
    await wait_for(lambda: "While you were away: 1 new" in said(app), what="the catch-up")
    await wait_for(lambda: "dnd" not in top.badge)


async def arrival_while_on(app: TiriApp, server) -> None:
    """One arrival while it is on, seen by this face's attention."""
    attention = app.dashboard.alerting.attention
    await wait_for(lambda: attention.silenced, what="silenced")
    before = len(app.controller.held)
    await server.create_notification(title="while it is on")
    await wait_for(lambda: len(app.controller.held) > before, what="the arrival")


async def test_a_time_typed_in_and_what_is_refused(dashboard):
    app, pilot = dashboard
    path = state_path(app.client.settings.data_dir)
    await pilot.press("Z")
    await wait_for(lambda: isinstance(app.screen, DoNotDisturbScreen))
    await pilot.press("tab", *"soon", "enter")
    await wait_for(
        lambda: "is not a duration" in str(app.screen.query_one("#dnd-problem").render())
    )
    assert read_state(path) is None and isinstance(app.screen, DoNotDisturbScreen)
    await pilot.press(*("backspace",) * 4, *"45m", "enter")
    await wait_for(lambda: read_state(path) is not None)
    assert 44 * 60 < read_state(path).until - time.time() <= 45 * 60
    await pilot.press("Z")  # on: off at once, no question
    await wait_for(lambda: read_state(path) is None)
    await pilot.press("Z", "escape")
    assert read_state(path) is None


async def test_a_dashboard_opened_while_it_was_on_counts_what_came_before_it_opened(server, client):
    path = state_path(client.settings.data_dir)
    write_state(path, DoNotDisturb(time.time() - 1, None))
    await server.create_notification(title="came before the dashboard opened")
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE):
        await until_live(app)
        await wait_for(lambda: app.dashboard.alerting.attention.silenced, what="it is on")
        write_state(path, None)  # off from elsewhere (a script)
        await wait_for(lambda: "While you were away: 1 new" in said(app), what="the catch-up")
