"""Collections wait until the frame being drawn is done (a collection inside a
frame made it miss its slot, and the next frame came two slots later)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from textual.screen import Screen

from tests.support.dashboards import offline_dashboard
from tests.support.fakes import sample
from tests.support.serving import take_rows
from tiri_tui.ui.frames import hold_collections_until_drawn
from tiri_tui.ui.notification_list import NotificationList


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as the test found it afterwards, whatever the test did."""
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


async def test_a_frame_holds_collections_until_the_loop_turns(collector: None) -> None:
    gc.enable()
    hold_collections_until_drawn()
    hold_collections_until_drawn()  # the same frame: one hold
    assert not gc.isenabled()
    await asyncio.sleep(0)
    assert gc.isenabled()


async def test_a_collector_someone_else_paused_stays_paused(collector: None) -> None:
    gc.disable()  # the start-up pause, or Textual's during a scroll animation
    hold_collections_until_drawn()
    await asyncio.sleep(0)
    assert not gc.isenabled()


async def test_no_collection_runs_while_a_stream_s_frames_are_drawn(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Collections due every few dozen allocations (so a frame would run
    many): none starts once the list's lines are being drawn until the frame
    is done, and they still run between frames."""
    rows = sample(120)
    drawing = {"now": False}
    inside: list[int] = []
    between: list[int] = []

    def observe(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            (inside if drawing["now"] else between).append(info["generation"])

    frame = Screen._on_timer_update

    def on_timer_update(screen: Screen[object]) -> None:
        """Textual's frame (the screen's update timer takes it when mounted)."""
        try:
            frame(screen)
        finally:
            drawing["now"] = False

    monkeypatch.setattr(Screen, "_on_timer_update", on_timer_update)
    async with offline_dashboard(rows[60:]) as (app, pilot, controller):
        await pilot.pause()
        view = app.query_one(NotificationList)
        draw_lines = view.render_lines

        def render_lines(crop):  # type: ignore[no-untyped-def]
            drawing["now"] = True
            return draw_lines(crop)

        view.render_lines = render_lines  # type: ignore[method-assign]
        gc.set_threshold(50)
        gc.callbacks.append(observe)
        try:
            for row in reversed(rows[:60]):
                take_rows(controller, [row], live=True)
                await pilot.pause()
        finally:
            gc.callbacks.remove(observe)
        assert view.source[0] == rows[0]
        assert between and not inside
