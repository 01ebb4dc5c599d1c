"""How the rows change: the server's copies, the person's marks and deletes.

Part of the sync core (:mod:`tiri_tui.sync.core` decides which of these an
event calls): pure, no I/O, the state changed in place, what to tell and to
do appended to ``out``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from tiri_tui.sync.events import (
    Arrived,
    NotificationAdded,
    NotificationRemoved,
    NotificationUpdated,
    UnreadCountChanged,
)
from tiri_tui.sync.inbox import Upsert
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import (
    CacheShown,
    ClearedSlice,
    Effect,
    ReadSlice,
    RowsReplaced,
    Submit,
)
from tiri_tui.sync.state import SyncState
from tiri_tui.wire.models import Notification

#: Seconds a live copy of a row is remembered against older copies in pages
#: (a page is never on its way this long: the client's timeouts end it first).
LIVE_MEMORY = 120.0

_EPOCH = datetime.min.replace(tzinfo=UTC)


def cache_shown(state: SyncState, event: CacheShown, out: list[Effect]) -> None:
    if event.synced_until is not None:
        state.synced_until = event.synced_until
    if event.unread_count is not None:
        set_unread(state, event.unread_count, out)
    for n in event.rows:
        if state.everything is not None:  # filtered already (carried over from a past session)
            state.everything.upsert(n)
            if not state.filters.matches(n):
                continue
        state.shown.upsert(n)
        out.append(NotificationAdded(n, live=False))


def remember_live(state: SyncState, notification_id: str, at: float) -> None:
    copies = state.live_copies
    copies[notification_id] = at
    copies.move_to_end(notification_id)
    while copies and next(iter(copies.values())) < at - LIVE_MEMORY:
        copies.popitem(last=False)


def accept(
    state: SyncState,
    rows: list[Notification],
    *,
    live: bool,
    out: list[Effect],
    fetched_at: float = math.inf,
    paged: bool = False,
) -> None:
    """Take the server's copies (already rebased on the person's intents);
    a page's copy of a row that came live after the page was asked for is
    older than the one shown, and is left out (``paged``: an older page)."""
    newer_than = news_since(state)
    held, shown, filters = state.held, state.shown, state.filters
    live_copies = state.live_copies
    for n in rows:
        if live_copies and live_copies.get(n.id, -math.inf) > fetched_at:
            continue
        news = (
            not n.is_read
            and n.id not in held
            and (live or (newer_than is not None and n.created_at > newer_than))
        )
        if n.id not in shown and not filters.matches(n):
            if state.everything is not None:
                state.everything.upsert(n)  # held, for when the filters go
            if news:
                out.append(Arrived(n, live))
        else:
            upsert(state, n, out, live=live, news=news, paged=paged)


def told(state: SyncState, n: Notification, out: list[Effect], *, live: bool, news: bool) -> None:
    """Take a row as the agent holds it (a face mirroring it): news as it judged."""
    if n.id not in state.shown and not state.filters.matches(n):
        if state.everything is not None:
            state.everything.upsert(n)
        if news:
            out.append(Arrived(n, live))
    else:
        upsert(state, n, out, live=live, news=news)


def gone(state: SyncState, notification_id: str, out: list[Effect]) -> None:
    """No longer held at all (the agent's delete, or one it found elsewhere)."""
    if state.everything is not None:
        state.everything.remove(notification_id)
    remove(state, notification_id, out)


def news_since(state: SyncState) -> datetime | None:
    """Fetched rows newer than this are news (None: none are yet).

    Fixed once the server first confirmed the list: what a gap fill finds
    above it arrived while the person was away; the first load's pages,
    older pages and filtered reloads lie below it.
    """
    if state.news_watermark is None and state.confirmed:
        held = state.held
        state.news_watermark = held[0].created_at if len(held) else _EPOCH
    return state.news_watermark


def upsert(
    state: SyncState,
    n: Notification,
    out: list[Effect],
    *,
    live: bool = False,
    news: bool = False,
    paged: bool = False,
) -> None:
    if state.clearing and n.is_read:
        before = state.held.get(n.id)
        if before is None or not before.is_read:
            state.kept_from_clear.add(n.id)  # read after the clear was sent
    if state.everything is not None:
        state.everything.upsert(n)
        if n.id not in state.shown and not state.filters.matches(n):
            return
    result = state.shown.upsert(n)
    if result is Upsert.ADDED:
        out.append(NotificationAdded(n, live, news, paged))
    elif result is Upsert.UPDATED:
        out.append(NotificationUpdated(n))
    if result is not Upsert.UNCHANGED:
        state.dirty = True


def remove(state: SyncState, notification_id: str, out: list[Effect]) -> None:
    """Gone from the list shown (deleted elsewhere, or no longer in a filtered
    answer: still held then, it may only have stopped matching)."""
    if state.shown.remove(notification_id) is not None:
        forget(state, notification_id)
        out.append(NotificationRemoved(notification_id))


def forget(state: SyncState, notification_id: str) -> None:
    state.forgotten.add(notification_id)
    state.dirty = True


def set_unread(state: SyncState, count: int, out: list[Effect]) -> None:
    if count != state.unread:
        state.unread = count
        state.dirty = True
        out.append(UnreadCountChanged(count))


def set_read(state: SyncState, notification_id: str, is_read: bool, out: list[Effect]) -> bool:
    """Apply a mark here; False when there is nothing to change (no request
    is worth sending then, and the count must not move while it waits)."""
    n = state.held.get(notification_id)
    if n is None or n.is_read == is_read:
        return False
    upsert(state, n.with_read(is_read), out)
    if state.unread is not None:
        set_unread(state, max(0, state.unread + (-1 if is_read else 1)), out)
    return True


def delete(state: SyncState, notification_id: str, out: list[Effect]) -> None:
    if state.everything is not None:
        state.everything.remove(notification_id)
    removed = state.shown.remove(notification_id)
    if removed is None:
        return
    out.append(NotificationRemoved(notification_id))
    forget(state, notification_id)
    if not removed.is_read and state.unread:
        set_unread(state, state.unread - 1, out)
    out.append(Submit(IntentAction.DELETE, notification_id, was_unread=not removed.is_read))


def read_slice(state: SyncState, event: ReadSlice, out: list[Effect]) -> None:
    replaced = 0
    held = state.held
    for nid in event.ids:
        n = held.get(nid)
        if (
            n is not None
            and not n.is_read
            and (event.before is None or n.created_at <= event.before)
        ):
            upsert(state, n.with_read(True), out)
            replaced += 1
            if event.before is None and state.last_all_read is not None:
                state.last_all_read.append(nid)  # what an undo would restore
    if replaced:
        out.append(RowsReplaced(replaced))


def cleared_slice(state: SyncState, event: ClearedSlice, out: list[Effect]) -> None:
    """The read rows among these ids go: the server deleted them (the count
    does not move: only read ones go), but for those turned read after the
    clear was sent, which the server kept. Each is forgotten by the cache too."""
    held = state.held
    for nid in event.ids:
        n = held.get(nid)
        if n is None or not n.is_read or nid in state.kept_from_clear:
            continue
        if state.everything is not None:
            state.everything.remove(nid)
        if state.shown.remove(nid) is not None:
            out.append(NotificationRemoved(nid))
        forget(state, nid)
