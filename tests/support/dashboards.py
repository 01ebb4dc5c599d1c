"""The dashboard over an offline controller, and what its list shows as text (Pilot tests)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from textual.pilot import Pilot

from tests.support.fakes import NOW, offline_controller
from tests.support.serving import take_rows
from tiri_tui.sync.controller import NotificationController
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList

SIZE = (120, 32)


@contextlib.asynccontextmanager
async def offline_dashboard(
    rows: list | None = None,
    *,
    clock: Callable[[], datetime] = lambda: NOW,
    size: tuple[int, int] = SIZE,
    **options: object,
) -> AsyncIterator[tuple[TiriApp, Pilot, NotificationController]]:
    """The dashboard over an offline controller holding ``rows``, first paint done
    (``options``: more of TiriApp's)."""
    controller = offline_controller()
    if rows:
        take_rows(controller, rows)
    app = TiriApp(controller=controller, clock=clock, bell=False, **options)  # type: ignore[arg-type]
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield app, pilot, controller


def text_of(widget) -> str:
    return str(widget.content)


def list_text(app: TiriApp) -> str:
    view = app.query_one(NotificationList)
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


def row_line(view: NotificationList, row: int):
    """The strip drawn for ``row`` (day headers take lines of their own)."""
    return view.render_line(view.days.line_of(row) - int(view.scroll_offset.y))


def first_row_text(app: TiriApp) -> str:
    return row_line(app.query_one(NotificationList), 0).text


async def until_live(app: TiriApp) -> None:
    """Until the dashboard is connected and its first load is in."""
    from tests.support.waiting import wait_for
    from tiri_tui.connection.policy import ConnectionState

    await wait_for(
        lambda: (
            app.controller is not None
            and app.controller.state is ConnectionState.CONNECTED
            and app.controller.loaded.is_set()
        )
    )


@contextlib.asynccontextmanager
async def live_dashboard(client, rows: int = 20) -> AsyncIterator[tuple[TiriApp, Pilot]]:
    """The dashboard of ``client`` (logged in to the demo server), connected,
    with ``rows`` rows or more shown."""
    from tests.support.waiting import wait_for

    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await until_live(app)
        await wait_for(lambda: len(app.query_one(NotificationList).source) >= rows)
        await pilot.pause()
        yield app, pilot
