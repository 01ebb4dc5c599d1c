"""Pure decisions of the REST synchronisation: no I/O, no clock, no asyncio.

What a walk of the server's pages proves is decided here, page by page, so
the rules that decide what may be removed (a wrong removal shows a
notification twice) are tested on plain values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterable
from datetime import datetime

from msgspec import Struct

from tiri_tui.wire.models import Notification, Page


class Filters(Struct, frozen=True):
    """The server-side filters of the list."""

    unread_only: bool = False
    notification_type: str | None = None
    search: str | None = None
    priority: str | None = None
    #: A saved view's types (any of them); the API filters on one type at most,
    #: so with several the server sends them all and this list keeps its own.
    types: frozenset[str] | None = None

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return (
            self.unread_only
            or bool(self.notification_type)
            or bool(self.search)
            or bool(self.priority)
            or bool(self.types)
        )

    @property
    def server_type(self) -> str | None:
        """The one type the server can filter on (None: all types are fetched)."""
        if self.notification_type:
            return self.notification_type
        if self.types and len(self.types) == 1:
            return next(iter(self.types))
        return None

    def matches(self, n: Notification) -> bool:
        """Whether a live notification belongs in the filtered list."""
        if self.unread_only and n.is_read:
            return False
        if self.notification_type and n.notification_type != self.notification_type:
            return False
        if self.types and n.notification_type not in self.types:
            return False
        if self.priority and (n.priority or "normal") != self.priority:
            return False
        if self.search:
            needle = self.search.lower()
            return needle in n.title.lower() or needle in n.message.lower()
        return True


def newest_of(page: Page) -> datetime | None:
    """The newest creation time on a page (None for an empty one)."""
    return max((n.created_at for n in page.results), default=None)


def advanced_watermark(current: datetime | None, moment: datetime | None) -> datetime | None:
    """The sync point after ``moment`` was proven in sync: it only moves forward."""
    if moment is None or (current is not None and moment <= current):
        return current
    return moment


def reconcile_done(page: Page, held_oldest: datetime | None, followed: set[str]) -> bool:
    """Whether a reconciliation walk has covered everything held (or can go no further)."""
    return (
        page.next is None
        or page.next in followed
        or not page.results
        or held_oldest is None
        or min(n.created_at for n in page.results) <= held_oldest
    )


def walk_reached(page: Page, synced: datetime | None) -> bool:
    """Whether a gap fill may stop after this page: it reached the sync point
    (or there is none yet: page 1 is all a first load needs), or the list ended."""
    return synced is None or page.next is None or any(n.created_at <= synced for n in page.results)


class Vanished(Struct, frozen=True):
    """A span of creation times that a walk proved complete.

    Every notification the server has with ``low < created_at < high`` (Unix
    seconds; None: unbounded below; ``math.inf`` above page 1) was listed in
    ``listed``: a held one in that span and not listed was deleted on the
    server. Page 1 is the top of the list, so it proves everything above its
    oldest row (``oldest``) — but only of what was held before it was asked
    for: a row that arrived afterwards may be newer than the server's answer.
    """

    low: float | None
    high: float
    listed: frozenset[str]
    #: The page is page 1: rows at or above ``oldest`` count only if held before.
    top: bool = False
    oldest: float = -math.inf


def deleted_elsewhere(
    proven: Vanished,
    held: Iterable[tuple[str, float]],
    *,
    held_before: Container[str],
    pending: Callable[[str], bool],
) -> list[str]:
    """Which of the ``held`` rows (id, creation time) within ``proven`` the
    server deleted: not listed, no intent of the user's still queued for it,
    and — at the top of the list — held since before page 1 was asked for."""
    return [
        nid
        for nid, created in held
        if nid not in proven.listed
        and not pending(nid)
        and (not proven.top or created < proven.oldest or nid in held_before)
    ]


class _PageEdge(Struct, frozen=True):
    oldest: float
    count: int
    ids: frozenset[str]


class Coverage:
    """Follows one walk (page 1, then each ``next``) and says what each page proves.

    A page proves the span between its own newest and oldest, if it is whole
    (nothing in it failed to parse). The gap between two pages is proven
    too when nothing can have slipped between them while the walk went on:
    the pages overlap, or the list only grows at the top (no filter) and
    its count did not shrink — offset paging skips an item only when
    something above it was deleted meanwhile. The last page proves
    everything below it. Page 1 is the top of the list: it proves everything
    above its oldest row (see :class:`Vanished` for what arrived while it was
    on its way).
    """

    def __init__(self, *, grows_only_at_top: bool) -> None:
        self._grows_only_at_top = grows_only_at_top
        self._previous: _PageEdge | None = None
        #: No page was added yet: the next is page 1.
        self._at_top = True

    def add(self, page: Page) -> Vanished | None:
        """The span this page proves (None: nothing, e.g. a partial or empty page)."""
        previous, self._previous = self._previous, None
        top, self._at_top = self._at_top, False
        if page.rejected or not page.results:
            return None  # a partial page proves nothing, and breaks the chain
        stamps = [n.created_at.timestamp() for n in page.results]
        ids = frozenset(n.id for n in page.results)
        newest, oldest = max(stamps), min(stamps)
        high = newest
        if previous is not None and (
            previous.ids & ids or (self._grows_only_at_top and page.count >= previous.count)
        ):
            high = max(previous.oldest, newest)
        self._previous = _PageEdge(oldest, page.count, ids)
        low = None if page.next is None else oldest
        if top:
            return Vanished(low, math.inf, ids, top=True, oldest=oldest)
        return Vanished(low, high, ids)
