"""The sync core: what is shown, decided in one place, with no I/O.

As :func:`tiri_tui.connection.policy.step` decides for the socket,
:func:`apply` decides for the list: it is the only code that changes the
rows held and the view shown, the unread count, the connection snapshot, the
sync watermark and the paging chain. The executors (the controller's tasks,
the REST walker, the outbox sender, the cache writer) report what happened as
events (:mod:`tiri_tui.sync.messages`) and carry out the effects returned;
everyone else reads the state through :class:`SyncView`.

No asyncio, no clock, no disk: times come inside the events. The state is
changed in place (100,000 rows are not copied per event), as a sans-I/O
protocol object is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import assert_never

from tiri_tui.connection.policy import SESSION_EXPIRED, ConnectionState, StateCode
from tiri_tui.sync.events import (
    ListReset,
    NotificationAdded,
    ServerAnswered,
    StateEvent,
)
from tiri_tui.sync.inbox import Inbox, Upsert
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import (
    AllReadConfirmed,
    AllReadUndoWanted,
    AllReadWanted,
    AnsweredTold,
    CacheShown,
    ClearedSlice,
    ClearEnded,
    ClearHeld,
    ClearStarted,
    ConnectionChanged,
    CountArrived,
    CountTold,
    DeleteTakenBack,
    DeleteWanted,
    Effect,
    FetchOlder,
    FillDone,
    FilterHeld,
    FiltersWanted,
    FrameArrived,
    HeldSlice,
    HeldTold,
    LiveInGap,
    MarkTakenBack,
    MarkUnreadEach,
    MarkWanted,
    Noted,
    OlderFailed,
    OlderTaken,
    OlderWanted,
    PageOneAnswered,
    PageTaken,
    PagingTold,
    ReadCleared,
    ReadHeld,
    ReadSlice,
    RowGoneTold,
    RowsWanted,
    RowTold,
    SaveFailed,
    SaveTaken,
    SessionEnded,
    SnoozeBackWanted,
    SocketUp,
    StopSession,
    Submit,
    SyncEvent,
)
from tiri_tui.sync.rows import (
    accept,
    cache_shown,
    cleared_slice,
    delete,
    gone,
    read_slice,
    remember_live,
    remove,
    set_read,
    set_unread,
    told,
    upsert,
)
from tiri_tui.sync.rules import (
    Coverage,
    Filters,
    Vanished,
    advanced_watermark,
    deleted_elsewhere,
)
from tiri_tui.sync.state import Connection, Paging, SyncState, SyncView
from tiri_tui.wire.models import Page

#: "Mark all read" can be undone up to this many rows (one request each).
UNDO_LIMIT = 200
PendingQuery = Callable[[str], bool]


def apply(state: SyncState, event: SyncEvent) -> list[Effect]:
    """Change ``state`` as ``event`` says; return what to tell and to do."""
    out: list[Effect] = []
    match event:
        case CacheShown():
            cache_shown(state, event, out)
        case FrameArrived():
            remember_live(state, event.notification.id, event.at)
            if event.rebased is not None:
                accept(state, [event.rebased], live=True, out=out)
            if not state.gap_open and not state.filters.active:
                _advance(state, event.notification.created_at)
            else:
                out.append(LiveInGap())
        case CountArrived():
            # A REST answer asked for before the socket's last count came
            # would take the count back (15, 16, then 15 again).
            if event.at >= state.count_at:
                state.count_at = event.at
                set_unread(state, event.count, out)
        case ConnectionChanged():
            _connection_changed(state, event, out)
        case SessionEnded():
            _end_session(state, out)
        case PageTaken():
            _page_taken(state, event, out)
        case FillDone():
            _advance(state, event.newest)
            if event.closes_gap:
                state.gap_open = False
            state.confirmed = True
        case PageOneAnswered():
            answered = not state.filters_answered
            state.confirmed = state.filters_answered = True
            if answered:
                out.append(ServerAnswered())
        case OlderWanted():
            _older_wanted(state, out)
        case RowsWanted():
            state.rows_wanted = event.count
        case OlderTaken():
            _older_taken(state, event, out)
        case OlderFailed():
            paging = state.paging
            paging.in_flight = False
            if event.final and event.chain == paging.chain:
                paging.next_url = None
            paging.failure = event.reason
        case FiltersWanted():
            _filters_wanted(state, event.filters, out)
        case HeldSlice():
            if event.filters == state.filters:
                for n in event.rows:
                    if event.filters.matches(n) and state.shown.upsert(n) is Upsert.ADDED:
                        out.append(NotificationAdded(n, live=False))
        case MarkWanted():
            if set_read(state, event.notification_id, event.is_read, out):
                action = IntentAction.MARK_READ if event.is_read else IntentAction.MARK_UNREAD
                out.append(Submit(action, event.notification_id))
        case MarkTakenBack():
            set_read(state, event.notification_id, event.is_read, out)
        case DeleteWanted():
            delete(state, event.notification_id, out)
        case DeleteTakenBack():
            n = event.notification
            state.forgotten.discard(n.id)
            upsert(state, n, out)
            if not n.is_read and state.unread is not None:
                set_unread(state, state.unread + 1, out)
        case AllReadWanted():
            set_unread(state, 0, out)
            state.last_all_read = []
            out += [Submit(IntentAction.MARK_ALL_READ, None), ReadHeld(None)]
        case AllReadConfirmed():
            out.append(ReadHeld(event.before))
        case ReadSlice():
            read_slice(state, event, out)
        case ClearStarted():
            state.clearing, state.kept_from_clear = True, set()
        case ClearEnded():
            state.clearing, state.kept_from_clear = False, set()
        case ReadCleared():
            out.append(ClearHeld())
        case ClearedSlice():
            cleared_slice(state, event, out)
        case AllReadUndoWanted():
            ids, state.last_all_read = state.last_all_read, None
            if ids is not None and len(ids) <= UNDO_LIMIT:
                out.append(MarkUnreadEach(ids))
        case SaveTaken():
            state.dirty = state.sync_changed = False
            state.forgotten = set()
        case SaveFailed():
            state.forgotten.update(event.forgotten)
            state.dirty = True
        case RowTold():
            if not event.changed or event.notification.id in state.held:
                told(state, event.notification, out, live=event.live, news=event.news)
        case SnoozeBackWanted():
            if event.notification.id not in state.held:
                told(state, event.notification, out, live=False, news=False)
        case RowGoneTold():
            gone(state, event.notification_id, out)
        case CountTold():
            set_unread(state, event.count, out)
        case AnsweredTold():
            state.confirmed = True
            if not state.answered_since_down:
                state.answered_since_down = True
                out.append(ServerAnswered())
        case HeldTold():
            _held_told(state, event, out)
        case PagingTold():
            paging = state.paging
            paging.next_url, paging.depth = event.next_url, max(paging.depth, 1)
        case _:
            assert_never(event)
    _fill_wanted_rows(state, out)
    return out


def can_undo_all_read(view: SyncView) -> bool:
    """Whether an :class:`AllReadUndoWanted` would restore the last one."""
    return view.last_all_read is not None and len(view.last_all_read) <= UNDO_LIMIT


def _filters_wanted(state: SyncState, filters: Filters, out: list[Effect]) -> None:
    if filters == state.filters:
        return
    everything = state.held
    if filters.active:
        state.everything, state.shown = everything, Inbox()
    else:
        state.everything, state.shown = None, everything
    # Arrivals from now on are judged by the new filters; the server's
    # answer for them is awaited, and paging starts again under them.
    state.filters, state.filters_answered = filters, False
    _new_chain(state)
    state.synced_until = None
    out += [ListReset(), FilterHeld(everything, filters)]


# -- the connection --------------------------------------------------------------------------


def _connection_changed(state: SyncState, event: ConnectionChanged, out: list[Effect]) -> None:
    if state.session_expired:
        return
    was = state.connection.state
    state.connection = Connection(event.state, event.code, event.reason, event.retry_in)
    if event.code is StateCode.SESSION_EXPIRED:
        _end_session(state, out)
        return
    if event.state is not ConnectionState.CONNECTED:
        if was is ConnectionState.CONNECTED:
            state.answered_since_down = False
        state.gap_open = True
    elif was is not ConnectionState.CONNECTED:
        out.append(SocketUp())
    out.append(StateEvent(event.state, event.reason, event.retry_in, event.code))


def _end_session(state: SyncState, out: list[Effect]) -> None:
    if state.session_expired:
        return
    state.session_expired = True
    state.connection = Connection(
        ConnectionState.ERROR, StateCode.SESSION_EXPIRED, SESSION_EXPIRED, None
    )
    told = StateEvent(ConnectionState.ERROR, SESSION_EXPIRED, None, StateCode.SESSION_EXPIRED)
    out += [StopSession(), told]


# -- pages -----------------------------------------------------------------------------------


def _advance(state: SyncState, moment: datetime | None) -> None:
    moved = advanced_watermark(state.synced_until, moment)
    if moved != state.synced_until:
        state.synced_until, state.sync_changed = moved, True


def _coverage(state: SyncState) -> Coverage:
    return Coverage(grows_only_at_top=not state.filters.active)


def _new_chain(state: SyncState) -> None:
    """Paging starts again: a page of the chain left behind continues nothing."""
    old = state.paging
    state.paging = Paging(chain=old.chain + 1, coverage=_coverage(state), in_flight=old.in_flight)


def _page_taken(state: SyncState, event: PageTaken, out: list[Effect]) -> None:
    """Take a page of a walk asked for under ``event.filters``: its rows, and
    what it proves and where paging goes on — of the list shown only."""
    if not state.answered_since_down:
        state.answered_since_down = True
        out.append(ServerAnswered())
    if event.filters != state.filters:  # the filters changed while it was on its way
        accept(state, event.rows, live=False, out=out, fetched_at=event.fetched_at)
        return
    paging = state.paging
    if event.first and not paging.depth:
        paging.next_url, paging.depth = event.page.next, 1
        paging.followed = set()
        paging.coverage = _coverage(state)
        paging.coverage.add(event.page)  # paging on chains to this page 1
    accept(state, event.rows, live=False, out=out, fetched_at=event.fetched_at)
    _drop_vanished(state, event.proven, event.held_before, event.pending, out)


def _drop_vanished(
    state: SyncState,
    proven: Vanished | None,
    held_before: frozenset[str],
    pending: PendingQuery,
    out: list[Effect],
) -> None:
    """Within a span a walk proved, held ids the server no longer lists were
    deleted elsewhere (see :func:`deleted_elsewhere`)."""
    if proven is None:
        return
    gone = deleted_elsewhere(
        proven,
        state.shown.rows_created_between(proven.low, proven.high),
        held_before=held_before,
        pending=pending,
    )
    for nid in gone:
        remove(state, nid, out)


def _held_told(state: SyncState, event: HeldTold, out: list[Effect]) -> None:
    """The agent's newest rows: what is held above the oldest of them and not
    among them went while this face was away; paging starts again below them."""
    rows = event.rows
    low = rows[-1].created_at.timestamp() if rows else None
    listed = {n.id for n in rows}
    for nid in state.held.ids_created_between(low, math.inf):
        if nid not in listed:
            gone(state, nid, out)
    for n in rows:
        told(state, n, out, live=False, news=False)
    _new_chain(state)
    paging = state.paging
    paging.next_url, paging.depth, paging.failure = event.next_url, 1, None


def _older_wanted(state: SyncState, out: list[Effect]) -> None:
    paging = state.paging
    if paging.in_flight or not paging.next_url:
        return
    paging.in_flight, paging.failure = True, None
    paging.followed.add(paging.next_url)
    out.append(FetchOlder(paging.next_url, paging.chain))


def _fill_wanted_rows(state: SyncState, out: list[Effect]) -> None:
    """Fewer rows shown than a face can show, and older ones on the server:
    fetch the next page (once a fetch failed, only the person asks again)."""
    paging = state.paging
    if (
        len(state.shown) < state.rows_wanted
        and not state.session_expired
        and paging.next_url
        and not paging.in_flight
        and paging.failure is None
    ):
        _older_wanted(state, out)


def _older_taken(state: SyncState, event: OlderTaken, out: list[Effect]) -> None:
    paging = state.paging
    paging.in_flight = False
    accept(state, event.rows, live=False, out=out, fetched_at=event.fetched_at, paged=True)
    if event.chain != paging.chain:
        return  # a page of a chain left behind: its next link is stale
    page: Page = event.page
    looping = page.next is not None and page.next in paging.followed
    if looping:
        out.append(Noted("the next link leads back to a page already loaded; stopping"))
    paging.next_url = None if looping else page.next
    paging.depth += 1
    _drop_vanished(state, paging.coverage.add(page), frozenset(), event.pending, out)
