"""What a walk through the dashboard as a new user found (issue 22, section 6):
focus after the details, the login form's words, the offline reason, cut text."""

from __future__ import annotations

import contextlib
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
