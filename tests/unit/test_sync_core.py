"""The sync core's decisions, event by event (no sockets, no tasks, no clock)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

import msgspec

from tests.support.fakes import NOW, sample
from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.core import UNDO_LIMIT, apply, can_undo_all_read
from tiri_tui.sync.events import (
    Arrived,
    ListReset,
    NotificationAdded,
    NotificationRemoved,
    NotificationUpdated,
    ServerAnswered,
    StateEvent,
    UnreadCountChanged,
)
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import (
    AllReadUndoWanted,
    AllReadWanted,
    AnsweredTold,
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
    RowsReplaced,
    RowsWanted,
    RowTold,
    SaveFailed,
    SaveTaken,
    SessionEnded,
    SocketUp,
    StopSession,
    Submit,
    SyncEvent,
)
from tiri_tui.sync.rows import LIVE_MEMORY
from tiri_tui.sync.rules import Coverage, Filters
from tiri_tui.sync.state import SyncState
from tiri_tui.wire.models import Notification, Page


def page(rows: Sequence[Notification], next_url: str | None = None, count: int = 100) -> Page:
    return Page(count=count, next=next_url, previous=None, results=list(rows), rejected=[])


class Core:
    """Feeds events to one state; remembers every effect."""

    def __init__(self) -> None:
        self.state = SyncState()
        self.effects: list[Effect] = []

    def feed(self, event: SyncEvent) -> list[Effect]:
        out = apply(self.state, event)
        self.effects += out
        return out

    def take_page(
        self,
        rows: Sequence[Notification],
        *,
        first: bool = False,
        next_url: str | None = None,
        coverage: Coverage | None = None,
        held_before: Sequence[str] = (),
        pending: Callable[[str], bool] = lambda nid: False,
        filters: Filters | None = None,
    ) -> list[Effect]:
        p = page(rows, next_url)
        proven = coverage.add(p) if coverage is not None else None
        return self.feed(
            PageTaken(
                p,
                list(rows),
                self.state.filters if filters is None else filters,
                first,
                proven,
                frozenset(held_before),
                pending,
            )
        )

    def shown_ids(self) -> list[str]:
        return [n.id for n in self.state.shown]


def of(kind: type, effects: Sequence[Effect]) -> list[Effect]:
    return [e for e in effects if isinstance(e, kind)]


# -- rows: coverage and deletions ------------------------------------------------------------


def test_page_one_removes_the_newest_deleted_elsewhere_only_if_held_when_it_was_asked():
    rows = sample(5)  # n000000 is the newest
    core = Core()
    core.take_page(rows)
    # The server deleted n000000; page 1 now starts at n000001.
    out = core.take_page(
        rows[1:3],
        first=True,
        next_url="http://t/p2",
        coverage=Coverage(grows_only_at_top=True),
        held_before=["n000000"],
    )
    assert of(NotificationRemoved, out) == [NotificationRemoved("n000000")]
    assert "n000000" not in core.state.shown and "n000000" in core.state.forgotten
    assert core.state.dirty


def test_a_row_that_arrived_after_page_one_was_asked_for_is_kept():
    rows = sample(5)
    core = Core()
    core.take_page(rows)
    out = core.take_page(
        rows[1:3], first=True, next_url="http://t/p2", coverage=Coverage(grows_only_at_top=True)
    )
    assert of(NotificationRemoved, out) == []
    assert "n000000" in core.state.shown


def test_a_row_with_an_intent_queued_is_never_proven_deleted():
    rows = sample(5)
    core = Core()
    core.take_page(rows)
    out = core.take_page(
        rows[1:3],
        first=True,
        next_url="http://t/p2",
        coverage=Coverage(grows_only_at_top=True),
        held_before=["n000000"],
        pending=lambda nid: nid == "n000000",
    )
    assert of(NotificationRemoved, out) == []


def test_a_page_asked_for_under_other_filters_shows_its_rows_and_proves_nothing():
    rows = sample(6)
    core = Core()
    core.take_page(rows)
    core.feed(FiltersWanted(Filters(unread_only=True)))
    out = core.take_page(
        rows[2:4],
        first=True,
        coverage=Coverage(grows_only_at_top=True),
        held_before=["n000000", "n000001"],
        filters=Filters(),
        next_url="http://t/p2",
    )
    assert of(NotificationRemoved, out) == []
    assert core.state.paging.next_url is None  # its paging is not this list's


def test_the_first_page_since_the_socket_went_down_says_the_server_answered():
    core = Core()
    core.feed(ConnectionChanged(ConnectionState.CONNECTED, StateCode.CONNECTED, "", None))
    core.feed(ConnectionChanged(ConnectionState.RECONNECTING, StateCode.NETWORK, "x", 1.0))
    assert not core.state.answered_since_down
    assert of(ServerAnswered, core.take_page(sample(2))) == [ServerAnswered()]
    assert of(ServerAnswered, core.take_page(sample(2))) == []
    assert core.state.answered_since_down


# -- news ------------------------------------------------------------------------------------


def test_fetched_rows_above_the_first_confirmed_list_are_news_and_below_it_are_not():
    rows = sample(4, start=NOW)
    core = Core()
    core.take_page(rows[1:])
    core.feed(FillDone(rows[1].created_at, closes_gap=False))  # confirmed: the watermark is fixed
    older = msgspec.structs.replace(
        sample(1, start=NOW - timedelta(days=2))[0], id="older", is_read=False
    )
    newer = rows[0].with_read(False)
    out = core.take_page([newer, older])
    added = {e.notification.id: e.news for e in of(NotificationAdded, out)}
    assert added[newer.id] is True and added[older.id] is False


def test_a_live_row_the_filters_hide_is_held_and_still_announced():
    rows = sample(3)
    core = Core()
    core.feed(FiltersWanted(Filters(notification_type="new_message")))
    hidden = rows[0].with_read(False)
    assert hidden.notification_type != "new_message"
    out = core.feed(FrameArrived(hidden, hidden))
    assert of(Arrived, out) == [Arrived(hidden, True)]
    assert hidden.id not in core.state.shown and hidden.id in core.state.held


# -- frames and the sync point ---------------------------------------------------------------


def test_a_live_frame_moves_the_sync_point_only_once_nothing_is_missing():
    n = sample(1)[0]
    core = Core()
    assert of(LiveInGap, core.feed(FrameArrived(n, n))) == [LiveInGap()]
    assert core.state.synced_until is None
    core.feed(FillDone(None, closes_gap=True))
    later = sample(1, start=NOW + timedelta(hours=1))[0]
    assert of(LiveInGap, core.feed(FrameArrived(later, later))) == []
    assert core.state.synced_until == later.created_at and core.state.sync_changed


def test_a_frame_for_a_row_deleted_here_shows_nothing_but_still_counts_for_the_sync_point():
    n = sample(1)[0]
    core = Core()
    core.feed(FillDone(None, closes_gap=True))
    out = core.feed(FrameArrived(n, None))
    assert of(NotificationAdded, out) == [] and core.state.synced_until == n.created_at


def test_a_fill_that_closes_nothing_still_confirms_and_moves_the_sync_point():
    core = Core()
    core.feed(FillDone(NOW, closes_gap=False))
    assert core.state.gap_open and core.state.confirmed and core.state.synced_until == NOW
    core.feed(FillDone(NOW - timedelta(hours=1), closes_gap=True))
    assert not core.state.gap_open and core.state.synced_until == NOW  # never moves back


# -- the connection --------------------------------------------------------------------------


def test_the_socket_coming_up_and_going_down_asks_the_walker_and_tells_the_faces():
    core = Core()
    up = core.feed(ConnectionChanged(ConnectionState.CONNECTED, StateCode.CONNECTED, "", None))
    assert up == [SocketUp(), StateEvent(ConnectionState.CONNECTED, "", None, StateCode.CONNECTED)]
    core.feed(FillDone(None, closes_gap=True))
    down = core.feed(
        ConnectionChanged(ConnectionState.RECONNECTING, StateCode.NETWORK, "gone", 2.0)
    )
    assert of(SocketUp, down) == [] and core.state.gap_open
    assert down[-1] == StateEvent(ConnectionState.RECONNECTING, "gone", 2.0, StateCode.NETWORK)
    assert core.state.connection.retry_in == 2.0


def test_an_ended_session_stops_everything_once_and_ignores_the_socket_after():
    core = Core()
    out = core.feed(SessionEnded())
    assert of(StopSession, out) == [StopSession()]
    assert core.state.connection.code is StateCode.SESSION_EXPIRED
    assert core.feed(SessionEnded()) == []
    assert (
        core.feed(ConnectionChanged(ConnectionState.CONNECTED, StateCode.CONNECTED, "", None)) == []
    )
    assert core.state.connection.state is ConnectionState.ERROR


def test_a_session_expired_state_from_the_policy_ends_the_session():
    core = Core()
    out = core.feed(ConnectionChanged(ConnectionState.ERROR, StateCode.SESSION_EXPIRED, "x", None))
    assert of(StopSession, out) == [StopSession()] and core.state.session_expired


# -- paging chains ---------------------------------------------------------------------------


def test_older_pages_follow_the_chain_page_one_started_one_fetch_at_a_time():
    rows = sample(6)
    core = Core()
    core.take_page(rows[:2], first=True, next_url="http://t/p2")
    assert core.feed(OlderWanted()) == [FetchOlder("http://t/p2", core.state.paging.chain)]
    assert core.feed(OlderWanted()) == []  # one on its way already
    chain = core.state.paging.chain
    core.feed(OlderTaken(page(rows[2:4], "http://t/p3"), rows[2:4], chain, lambda nid: False))
    assert core.state.paging.next_url == "http://t/p3" and core.state.paging.depth == 2
    assert core.feed(OlderWanted()) == [FetchOlder("http://t/p3", chain)]


def test_page_one_read_again_keeps_the_older_pages_reached():
    rows = sample(6)
    core = Core()
    core.take_page(rows[:2], first=True, next_url="http://t/p2")
    core.feed(OlderWanted())
    chain = core.state.paging.chain
    core.feed(OlderTaken(page(rows[2:4], "http://t/p3"), rows[2:4], chain, lambda nid: False))
    core.take_page(rows[:2], first=True, next_url="http://t/p2")  # a gap fill, R
    assert core.state.paging.next_url == "http://t/p3"


def test_an_older_page_of_a_chain_left_behind_shows_its_rows_and_moves_no_paging():
    rows = sample(6)
    core = Core()
    core.take_page(rows[:2], first=True, next_url="http://t/p2")
    core.feed(OlderWanted())
    old_chain = core.state.paging.chain
    core.feed(FiltersWanted(Filters(unread_only=True)))
    out = core.feed(
        OlderTaken(page(rows[2:4], "http://t/p3"), rows[2:4], old_chain, lambda nid: False)
    )
    assert core.state.paging.next_url is None and core.state.paging.chain != old_chain
    assert not core.state.paging.in_flight
    assert {e.notification.id for e in of(Arrived, out) + of(NotificationAdded, out)} <= {
        n.id for n in rows[2:4]
    }


def test_a_next_link_leading_back_ends_the_list():
    rows = sample(6)
    core = Core()
    core.take_page(rows[:2], first=True, next_url="http://t/p2")
    core.feed(OlderWanted())
    chain = core.state.paging.chain
    out = core.feed(OlderTaken(page(rows[2:4], "http://t/p2"), rows[2:4], chain, lambda n: False))
    assert of(Noted, out) and core.state.paging.next_url is None


def test_a_final_failure_ends_the_list_and_a_transient_one_keeps_the_link():
    core = Core()
    core.take_page(sample(2), first=True, next_url="http://t/p2")
    core.feed(OlderWanted())
    chain = core.state.paging.chain
    core.feed(OlderFailed(chain, "timed out", final=False))
    assert core.state.paging.failure == "timed out" and core.state.paging.has_more
    assert core.feed(OlderWanted()) == [FetchOlder("http://t/p2", chain)]
    assert core.state.paging.failure is None  # a new try clears it
    core.feed(OlderFailed(chain, "HTTP 404", final=True))
    assert not core.state.paging.has_more and core.feed(OlderWanted()) == []


# -- intents ---------------------------------------------------------------------------------


def test_a_mark_changes_the_row_and_the_count_at_once_and_queues_one_intent():
    rows = sample(3)
    core = Core()
    core.take_page(rows)
    core.feed(CountArrived(2, at=0.0))
    unread = next(n for n in rows if not n.is_read)
    out = core.feed(MarkWanted(unread.id, True))
    assert of(Submit, out) == [Submit(IntentAction.MARK_READ, unread.id)]
    assert of(UnreadCountChanged, out) == [UnreadCountChanged(1)]
    assert core.state.shown.get(unread.id).is_read  # type: ignore[union-attr]
    assert core.feed(MarkWanted(unread.id, True)) == []  # nothing to change, nothing sent


def test_a_mark_taken_back_restores_row_and_count_and_sends_nothing():
    rows = sample(3)
    core = Core()
    core.take_page(rows)
    core.feed(CountArrived(2, at=0.0))
    unread = next(n for n in rows if not n.is_read)
    core.feed(MarkWanted(unread.id, True))
    out = core.feed(MarkTakenBack(unread.id, False))
    assert of(Submit, out) == [] and of(UnreadCountChanged, out) == [UnreadCountChanged(2)]
    assert not core.state.shown.get(unread.id).is_read  # type: ignore[union-attr]


def test_a_delete_queues_its_intent_and_its_undo_restores_row_and_count():
    rows = sample(3)
    core = Core()
    core.take_page(rows)
    core.feed(CountArrived(2, at=0.0))
    gone = rows[0]
    out = core.feed(DeleteWanted(gone.id))
    assert of(Submit, out) == [Submit(IntentAction.DELETE, gone.id, was_unread=True)]
    assert core.state.unread == 1 and gone.id in core.state.forgotten
    core.feed(DeleteTakenBack(gone))
    assert gone.id in core.state.shown and core.state.unread == 2
    assert gone.id not in core.state.forgotten


def test_mark_all_read_is_undone_one_mark_each_only_when_few_enough():
    rows = [n.with_read(False) for n in sample(4)]
    core = Core()
    core.take_page(rows)
    out = core.feed(AllReadWanted())
    assert Submit(IntentAction.MARK_ALL_READ, None) in out and ReadHeld(None) in out
    replaced = core.feed(ReadSlice([n.id for n in rows], None))
    assert of(RowsReplaced, replaced) == [RowsReplaced(4)]
    assert len(of(NotificationUpdated, replaced)) == 4 and can_undo_all_read(core.state)
    assert core.feed(AllReadUndoWanted()) == [MarkUnreadEach([n.id for n in rows])]
    assert core.feed(AllReadUndoWanted()) == []  # once


def test_mark_all_read_over_the_undo_limit_cannot_be_undone():
    rows = [n.with_read(False) for n in sample(UNDO_LIMIT + 1)]
    core = Core()
    core.take_page(rows)
    core.feed(AllReadWanted())
    core.feed(ReadSlice([n.id for n in rows], None))
    assert not can_undo_all_read(core.state)
    assert core.feed(AllReadUndoWanted()) == []


def test_the_servers_mark_all_reads_only_what_was_created_by_then():
    rows = [n.with_read(False) for n in sample(4)]
    core = Core()
    core.take_page(rows)
    core.feed(ReadSlice([n.id for n in rows], rows[2].created_at))
    assert [n.is_read for n in core.state.shown] == [False, False, True, True]
    assert core.state.last_all_read is None  # not the person's: nothing to undo


def test_clearing_read_removes_only_the_read_rows_held_and_the_cache_forgets_them():
    rows = [n.with_read(i % 2 == 0) for i, n in enumerate(sample(6))]
    core = Core()
    core.take_page(rows)
    core.state.unread = 3
    assert core.feed(ReadCleared()) == [ClearHeld()]
    out = core.feed(ClearedSlice([n.id for n in rows]))
    read = [n.id for n in rows if n.is_read]
    assert [e.notification_id for e in of(NotificationRemoved, out)] == read
    assert core.shown_ids() == [n.id for n in rows if not n.is_read]
    assert set(read) <= core.state.forgotten and core.state.unread == 3
    assert of(Submit, out) == []  # the server did it: nothing to send


def test_clearing_read_under_a_filter_removes_the_read_rows_it_hides_too():
    rows = [n.with_read(i < 3) for i, n in enumerate(sample(6))]
    core = Core()
    core.take_page(rows)
    core.feed(FiltersWanted(Filters(unread_only=True)))
    core.feed(HeldSlice(list(rows), Filters(unread_only=True)))
    assert core.state.everything is not None and len(core.state.everything) == 6
    core.feed(ClearedSlice([n.id for n in rows]))
    assert len(core.state.everything) == 3
    assert {n.id for n in rows[:3]} <= core.state.forgotten


# -- filters ---------------------------------------------------------------------------------


def test_filters_show_what_is_held_at_once_and_clearing_them_shows_it_all_again():
    rows = sample(9)
    core = Core()
    core.take_page(rows)
    unread_only = Filters(unread_only=True)
    out = core.feed(FiltersWanted(unread_only))
    assert out[0] == ListReset() and isinstance(out[1], FilterHeld)
    assert len(core.state.shown) == 0 and not core.state.filters_answered
    core.feed(HeldSlice(list(rows), unread_only))
    assert core.shown_ids() == [n.id for n in rows if not n.is_read]
    core.feed(HeldSlice(list(rows), Filters(search="x")))  # a slice of filters left behind
    assert core.shown_ids() == [n.id for n in rows if not n.is_read]
    core.feed(FiltersWanted(Filters()))
    assert core.shown_ids() == [n.id for n in rows]


def test_page_one_answering_new_filters_says_so_once():
    core = Core()
    core.feed(FiltersWanted(Filters(unread_only=True)))
    assert core.feed(PageOneAnswered()) == [ServerAnswered()]
    assert core.feed(PageOneAnswered()) == []


# -- the cache writer ------------------------------------------------------------------------


def test_a_save_taken_clears_the_changes_and_a_failed_one_brings_them_back():
    rows = sample(3)
    core = Core()
    core.take_page(rows)
    core.feed(DeleteWanted(rows[0].id))
    assert core.state.dirty and core.state.forgotten == {rows[0].id}
    core.feed(SaveTaken())
    assert not core.state.dirty and core.state.forgotten == set()
    core.feed(SaveFailed(frozenset({rows[0].id})))
    assert core.state.dirty and core.state.forgotten == {rows[0].id}


# -- rows a face can show --------------------------------------------------------------------


def test_older_pages_are_fetched_until_the_rows_a_face_can_show_are_there():
    rows = sample(8)
    core = Core()
    core.feed(RowsWanted(5))
    out = core.take_page(rows[:2], first=True, next_url="http://t/p2")
    chain = core.state.paging.chain
    assert of(FetchOlder, out) == [FetchOlder("http://t/p2", chain)]
    out = core.feed(OlderTaken(page(rows[2:4], "http://t/p3"), rows[2:4], chain, lambda n: False))
    assert of(FetchOlder, out) == [FetchOlder("http://t/p3", chain)]
    out = core.feed(OlderTaken(page(rows[4:6], "http://t/p4"), rows[4:6], chain, lambda n: False))
    assert of(FetchOlder, out) == []  # six shown: enough
    assert of(FetchOlder, core.feed(RowsWanted(7))) == [FetchOlder("http://t/p4", chain)]


def test_a_failed_fetch_is_not_tried_again_by_itself_nor_after_the_session_ended():
    rows = sample(8)
    core = Core()
    core.feed(RowsWanted(10))
    core.take_page(rows[:2], first=True, next_url="http://t/p2")
    chain = core.state.paging.chain
    assert of(FetchOlder, core.feed(OlderFailed(chain, "timed out", final=False))) == []
    assert of(FetchOlder, core.feed(CountArrived(3, at=0.0))) == []
    assert of(FetchOlder, core.feed(OlderWanted())) == [FetchOlder("http://t/p2", chain)]
    core.feed(SessionEnded())
    assert of(FetchOlder, core.feed(OlderFailed(chain, None, final=False))) == []


# -- copies of one row that cross --------------------------------------------------------------


def test_a_page_asked_for_before_a_live_copy_came_does_not_undo_it():
    n = sample(1)[0].with_read(False)
    core = Core()
    core.take_page([n])
    read_on_the_phone = n.with_read(True)
    core.feed(FrameArrived(read_on_the_phone, read_on_the_phone, at=10.0))
    stale = page([n])
    core.feed(PageTaken(stale, [n], Filters(), True, None, frozenset(), lambda i: False, 5.0))
    assert core.state.shown.get(n.id).is_read  # type: ignore[union-attr]
    core.feed(OlderTaken(stale, [n], core.state.paging.chain, lambda i: False, 9.0))
    assert core.state.shown.get(n.id).is_read  # type: ignore[union-attr]
    # A page asked for after the frame is the server's newer word.
    core.feed(PageTaken(stale, [n], Filters(), True, None, frozenset(), lambda i: False, 11.0))
    assert not core.state.shown.get(n.id).is_read  # type: ignore[union-attr]


def test_live_copies_are_forgotten_once_no_page_can_still_be_on_its_way():
    rows = sample(3)
    core = Core()
    core.feed(FrameArrived(rows[0], rows[0], at=0.0))
    core.feed(FrameArrived(rows[1], rows[1], at=LIVE_MEMORY + 1))
    assert list(core.state.live_copies) == [rows[1].id]


def test_a_count_asked_for_before_the_sockets_last_count_came_does_not_take_it_back():
    core = Core()
    core.feed(CountArrived(15, at=1.0))
    assert of(UnreadCountChanged, core.feed(CountArrived(16, at=10.0))) == [UnreadCountChanged(16)]
    # The gap fill's count, asked for at 5 (before the notification was made), answered now.
    assert core.feed(CountArrived(15, at=5.0)) == []
    assert core.state.unread == 16
    # One asked for since is the server's newer word.
    assert of(UnreadCountChanged, core.feed(CountArrived(14, at=11.0))) == [UnreadCountChanged(14)]


# -- a face mirroring the agent: what the agent told ----------------------------------------


def test_the_agents_rows_are_taken_as_told_and_a_paged_row_is_no_news():
    rows = sample(4)
    core = Core()
    core.feed(HeldTold(rows[:2], "agent:n000001"))
    added = of(NotificationAdded, core.effects)
    assert [e.notification.id for e in added] == ["n000000", "n000001"]
    assert not any(e.news or e.live for e in added)  # the backlog: no alert for it
    assert core.state.paging.next_url == "agent:n000001" and core.state.paging.depth == 1
    fresh = msgspec.structs.replace(rows[0], id="fresh", created_at=NOW + timedelta(hours=1))
    assert core.feed(RowTold(fresh, True, True)) == [NotificationAdded(fresh, True, True)]
    changed = rows[0].with_read(True)
    assert core.feed(RowTold(changed, False)) == [NotificationUpdated(changed)]
    chain = core.state.paging.chain
    assert core.feed(OlderWanted()) == [FetchOlder("agent:n000001", chain)]
    out = core.feed(OlderTaken(page(rows[2:], None), rows[2:], chain, lambda nid: False))
    assert [e.paged for e in of(NotificationAdded, out)] == [True, True]
    assert not core.state.paging.has_more


def test_a_row_the_agent_holds_no_more_goes_from_the_list_and_from_what_is_filtered_out():
    rows = sample(3)
    core = Core()
    core.feed(HeldTold(rows, None))
    core.feed(FiltersWanted(Filters(unread_only=True)))
    read = next(n for n in rows if n.is_read)
    assert core.feed(RowGoneTold(read.id)) == []  # filtered out: nothing shown goes
    assert read.id not in core.state.held
    unread = next(n for n in rows if not n.is_read)
    core.feed(HeldSlice(list(rows), Filters(unread_only=True)))
    assert core.feed(RowGoneTold(unread.id)) == [NotificationRemoved(unread.id)]
    assert unread.id not in core.state.held


def test_a_re_attach_takes_away_what_went_meanwhile_above_the_agents_oldest_row_only():
    rows = sample(6)
    core = Core()
    core.feed(HeldTold(rows[:4], "agent:n000003"))
    chain = core.state.paging.chain
    core.feed(OlderWanted())
    core.feed(OlderTaken(page(rows[4:], None), rows[4:], chain, lambda nid: False))
    # Back: n000001 was deleted meanwhile; the agent sends its newest three.
    out = core.feed(HeldTold([rows[0], rows[2], rows[3]], "agent:n000003"))
    assert of(NotificationRemoved, out) == [NotificationRemoved("n000001")]
    assert core.shown_ids() == ["n000000", "n000002", "n000003", "n000004", "n000005"]
    assert core.state.paging.chain == chain + 1  # an older page on its way continues nothing


def test_a_change_to_a_row_this_face_never_paged_to_is_not_taken():
    rows = sample(4)
    core = Core()
    core.feed(HeldTold(rows[:2], "agent:n000001"))
    assert core.feed(RowTold(rows[3].with_read(True), False, changed=True)) == []
    assert rows[3].id not in core.state.held  # no hole below what is held
    changed = rows[1].with_read(not rows[1].is_read)
    assert core.feed(RowTold(changed, False, changed=True)) == [NotificationUpdated(changed)]


def test_paging_goes_on_from_the_agent_after_the_filters_change():
    rows = sample(3)
    core = Core()
    core.feed(HeldTold(rows, "agent:n000002"))
    core.feed(FiltersWanted(Filters(unread_only=True)))
    assert not core.state.paging.has_more  # a new chain: no link of its own
    core.feed(RowsWanted(10))
    out = core.feed(PagingTold("agent:n000002"))
    assert out == [FetchOlder("agent:n000002", core.state.paging.chain)]


def test_the_agents_count_and_answer_are_taken_once():
    core = Core()
    assert core.feed(CountTold(7)) == [UnreadCountChanged(7)]
    assert core.feed(CountTold(7)) == []
    assert core.feed(AnsweredTold()) == [ServerAnswered()]
    assert core.feed(AnsweredTold()) == []
    assert core.state.confirmed


def test_a_row_turned_read_while_a_clear_is_on_its_way_stays():
    rows = [n.with_read(i < 2) for i, n in enumerate(sample(4))]
    core = Core()
    core.take_page(rows)
    core.feed(ClearStarted())
    core.feed(MarkWanted(rows[2].id, True))  # marked read after the clear was sent
    core.feed(RowTold(rows[3].with_read(True), live=True, news=False))  # read on the phone
    core.feed(ReadCleared())
    core.feed(ClearedSlice([n.id for n in rows]))
    assert core.shown_ids() == [rows[2].id, rows[3].id]  # the server kept them
    core.feed(ClearEnded())
    assert not core.state.clearing and not core.state.kept_from_clear
