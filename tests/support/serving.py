"""Putting the server's rows and counts into a controller as its executors do:
by the events the REST walker and the socket worker report."""

from __future__ import annotations

from collections.abc import Sequence

from tiri_tui.sync.controller import NotificationController
from tiri_tui.sync.messages import CountArrived, FrameArrived, PageOneAnswered, PageTaken
from tiri_tui.wire.models import Notification, Page


def take_rows(
    controller: NotificationController, rows: Sequence[Notification], *, live: bool = False
) -> None:
    """The server's copies of ``rows``: live ones as socket frames, the others
    as a page of a walk that proves nothing deleted (the person's intents
    queued still apply on top, as for any page)."""
    outbox = controller.outbox
    if live:
        for n in rows:
            controller.dispatch(FrameArrived(n, outbox.rebase(n)))
        return
    rebased = [r for n in rows if (r := outbox.rebase(n)) is not None]
    page = Page(count=len(rows), next=None, previous=None, results=list(rows), rejected=[])
    controller.dispatch(
        PageTaken(page, rebased, controller.filters, False, None, frozenset(), outbox.has_pending)
    )


def set_unread(controller: NotificationController, count: int) -> None:
    """The server's unread count."""
    controller.dispatch(CountArrived(count, controller.rest.now()))


def confirm(controller: NotificationController) -> None:
    """The server has answered for the list (page 1 read for its filters)."""
    controller.dispatch(PageOneAnswered())


async def save_cache(controller: NotificationController) -> None:
    """Save now what the cache writer would save at its next interval."""
    assert controller.cache_writer is not None
    await controller.cache_writer.save()
