"""Snooze's decisions: which rows the list shows and where, when a snooze ends
(across the clocks' changes), and that one comes back exactly once — across
faces and restarts — with fake clocks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.fakes import NOW, sample
from tiri_tui.attention.snooze_times import choices, typed_until
from tiri_tui.sync.inbox import Inbox
from tiri_tui.sync.snooze_follow import SnoozeFollower
from tiri_tui.sync.snooze_store import SnoozeStore
from tiri_tui.sync.snoozed_rows import SnoozedRows
from tiri_tui.sync.snoozes import BACK_KEPT, Snooze, SnoozeBook, badge_words
from tiri_tui.ui.days import DayIndex
from tiri_tui.wire.models import Notification

LONDON = ZoneInfo("Europe/London")


def _inbox(rows: list[Notification]) -> Inbox:
    inbox = Inbox()
    for n in rows:
        inbox.upsert(n)
    return inbox


def _drawn(rows: SnoozedRows) -> list[str]:
    return [rows[i].id for i in range(len(rows))]


def _expected(held: list[Notification], away: set[str], back: dict[str, float]) -> list[str]:
    """The list as a person should see it, built the slow, obvious way (a row
    back at the very instant another was made goes below it)."""
    placed = [
        (back.get(n.id, n.created_at.timestamp()), n.id not in back, n.id)
        for n in held
        if n.id not in away
    ]
    return [nid for *_placed, nid in sorted(placed, reverse=True)]


# -- what the list shows -----------------------------------------------------------------------


def test_a_snoozed_row_leaves_the_list_and_one_back_is_placed_by_its_return():
    held = sample(6)  # n000000 newest … n000005 oldest, seven minutes apart
    rows = SnoozedRows(lambda: _inbox(held))
    assert _drawn(rows) == [n.id for n in held]
    back_at = held[1].created_at.timestamp() + 60  # came back a minute after n000001 came
    book = SnoozeBook(
        [
            Snooze(held[2], until=NOW.timestamp() + 3600),
            Snooze(held[4], until=back_at, back_at=back_at),
        ]
    )
    assert rows.use(book) and not rows.use(SnoozeBook(list(_snoozes(book))))
    assert _drawn(rows) == ["n000000", "n000004", "n000001", "n000003", "n000005"]
    assert len(rows) == 5 and rows.position("n000002") is None
    assert [rows.position(nid) for nid in _drawn(rows)] == [0, 1, 2, 3, 4]
    assert rows.time_at(1) == back_at and rows.rows_since(back_at) == 2
    assert rows.is_back("n000004") and not rows.is_back("n000001")


def _snoozes(book: SnoozeBook) -> list[Snooze]:
    return [s for nid in (*book.away, *book.back) if (s := book.get(nid)) is not None]


def test_a_row_back_on_top_stays_above_what_is_older_and_below_what_came_after():
    held = sample(3)
    inbox = _inbox(held)
    rows = SnoozedRows(lambda: inbox)
    now = NOW.timestamp() + 600
    rows.use(SnoozeBook([Snooze(held[2], until=now, back_at=now)]))
    assert _drawn(rows)[0] == "n000002"  # on top: it came back after everything held
    arrival = msgspec.structs.replace(held[0], id="fresh", created_at=NOW + timedelta(minutes=20))
    inbox.upsert(arrival)
    assert _drawn(rows)[:2] == ["fresh", "n000002"]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=0, max_value=40),
    st.sets(st.integers(min_value=0, max_value=39), max_size=8),
    st.dictionaries(
        st.integers(min_value=0, max_value=39),
        st.integers(min_value=-400, max_value=60),
        max_size=8,
    ),
)
def test_the_list_drawn_is_the_rows_less_the_away_with_the_back_by_their_return(
    count: int, away: set[int], back: dict[int, int]
) -> None:
    held = sample(count)
    ids = {i: held[i].id for i in range(count)}
    away_ids = {ids[i] for i in away if i in ids}
    back_at = {ids[i]: NOW.timestamp() + minutes * 60 for i, minutes in back.items() if i in ids}
    away_ids -= set(back_at)
    book = SnoozeBook(
        [Snooze(n, until=NOW.timestamp() + 99) for n in held if n.id in away_ids]
        + [Snooze(n, until=0.0, back_at=back_at[n.id]) for n in held if n.id in back_at]
    )
    rows = SnoozedRows(lambda: _inbox(held), book)
    expected = _expected(held, away_ids, back_at)
    assert _drawn(rows) == expected
    assert [rows.position(nid) for nid in expected] == list(range(len(expected)))
    assert all(rows.position(nid) is None for nid in away_ids)
    # Placed newest first, so the day headers' bisections hold.
    times = [rows.time_at(i) for i in range(len(rows))]
    assert times == sorted(times, reverse=True)
    for moment in times:
        assert rows.rows_since(moment) == sum(1 for t in times if t >= moment)
    days = DayIndex()
    days.update(rows, rows.version)
    assert days.lines == len(rows) + len(days.starts)


def test_the_version_moves_when_the_snoozes_or_the_rows_do():
    held = sample(3)
    inbox = _inbox(held)
    rows = SnoozedRows(lambda: inbox)
    first = rows.version
    assert rows.version == first
    rows.use(SnoozeBook([Snooze(held[0], until=NOW.timestamp() + 60)]))
    second = rows.version
    assert second != first
    inbox.remove("n000002")
    assert rows.version != second


def test_the_badge_counts_the_ones_away():
    held = sample(3)
    book = SnoozeBook(
        [Snooze(held[0], until=9e9), Snooze(held[1], until=9e9), Snooze(held[2], 1.0, 2.0)]
    )
    assert badge_words(book) == "2 snoozed" and badge_words(SnoozeBook()) == ""
    assert [s.id for s in book.due(5.0)] == [] and book.next_due() == 9e9


# -- when it ends ------------------------------------------------------------------------------


def test_the_choices_are_soonest_first_and_this_evening_only_while_it_is_to_come():
    afternoon = datetime(2026, 12, 3, 14, 0, tzinfo=LONDON)
    offered = {c.words: c.until for c in choices(afternoon)}
    assert offered["this evening"] == datetime(2026, 12, 3, 18, 0, tzinfo=LONDON)
    assert offered["tomorrow morning"] == datetime(2026, 12, 4, 9, 0, tzinfo=LONDON)
    assert offered["next week"] == datetime(2026, 12, 7, 9, 0, tzinfo=LONDON)  # a Monday
    assert offered["1 hour"] - afternoon == timedelta(hours=1)
    ordered = [c.until for c in choices(afternoon)]
    assert ordered == sorted(ordered)
    late = {c.words for c in choices(datetime(2026, 12, 3, 17, 45, tzinfo=LONDON))}
    assert "this evening" not in late and "tomorrow evening" in late


def test_tomorrow_morning_across_the_clocks_going_back_is_nine_on_the_clock():
    # The clocks go back at 02:00 on 25 October 2026: from 20:00 the night
    # before, 09:00 is 14 hours away, not 13.
    evening = datetime(2026, 10, 24, 20, 0, tzinfo=LONDON)
    morning = {c.words: c.until for c in choices(evening)}["tomorrow morning"]
    assert (morning.hour, morning.utcoffset()) == (9, timedelta(0))
    assert morning.timestamp() - evening.timestamp() == 14 * 3600
    typed = typed_until("tomorrow 9:00", evening)
    assert typed.timestamp() == morning.timestamp()
    # A duration is real time: two hours are two hours across the change.
    night = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)
    assert typed_until("2h", night).timestamp() - night.timestamp() == 7200


def test_times_typed_in():
    now = datetime(2026, 12, 3, 22, 0, tzinfo=LONDON)
    assert typed_until("45m", now) - now == timedelta(minutes=45)
    assert typed_until("in 2 hours", now) - now == timedelta(hours=2)
    assert typed_until("for 90 minutes", now) - now == timedelta(minutes=90)
    assert typed_until("10", now) - now == timedelta(minutes=10)
    assert typed_until("17:30", now) == datetime(2026, 12, 4, 17, 30, tzinfo=LONDON)
    assert typed_until("2026-12-24 08:00", now) == datetime(2026, 12, 24, 8, 0, tzinfo=LONDON)
    for bad, says in (
        ("", "type when"),
        ("banana", "is not a time"),
        ("yesterday", "has passed"),
        ("0m", "longer than nothing"),
        ("2030-01-01 09:00", "a year at most"),
    ):
        with pytest.raises(ValueError, match=says):
            typed_until(bad, now)


# -- back exactly once -------------------------------------------------------------------------


class _Face:
    """One face following the store: what it was told, and what came back to it."""

    def __init__(self, path: Path, wall: list[float]) -> None:
        self.books: list[SnoozeBook] = []
        self.returned: list[tuple[str, bool]] = []
        self.follower = SnoozeFollower(
            SnoozeStore(path),
            told=self.books.append,
            returned=lambda s, claimed: self.returned.append((s.id, claimed)),
            wall=lambda: wall[0],
        )


async def test_a_due_snooze_comes_back_once_to_the_face_that_claims_it(tmp_path: Path):
    path, wall = tmp_path / "a-snoozes.sqlite3", [1000.0]
    one, two = _Face(path, wall), _Face(path, wall)
    n = sample(1)[0]
    await one.follower.snooze(n, 1060.0)
    await two.follower.look()
    assert one.books[-1].away.keys() == two.books[-1].away.keys() == {n.id}
    wall[0] = 1059.0
    await asyncio.gather(one.follower.look(), two.follower.look())
    assert one.returned == two.returned == []
    wall[0] = 1061.0
    await asyncio.gather(one.follower.look(), two.follower.look())
    await asyncio.gather(one.follower.look(), two.follower.look())
    claims = [c for face in (one, two) for _nid, c in face.returned]
    assert sorted(claims) == [False, True]  # both see it back; one says so
    assert all(face.returned == face.returned[:1] for face in (one, two))  # once each
    assert one.books[-1].back == {n.id: 1061.0}
    wall[0] = 2000.0
    await one.follower.look()
    assert len(one.returned) == 1


async def test_due_while_no_face_was_open_it_comes_back_at_the_next_start(tmp_path: Path):
    path, wall = tmp_path / "a-snoozes.sqlite3", [1000.0]
    n = sample(1)[0]
    first = _Face(path, wall)
    await first.follower.snooze(n, 1100.0)
    await asyncio.to_thread(first.follower._store.close)
    wall[0] = 5000.0  # the machine was off at 1100
    restarted = _Face(path, wall)
    await restarted.follower.look()
    assert restarted.returned == [(n.id, True)]
    again = _Face(path, wall)  # and the start after that: back already, not again
    await again.follower.look()
    assert again.returned == [] and again.books[-1].back == {n.id: 5000.0}


async def test_unsnoozed_it_is_not_back_and_an_old_return_is_let_go(tmp_path: Path):
    path, wall = tmp_path / "a-snoozes.sqlite3", [1000.0]
    face = _Face(path, wall)
    a, b = sample(2)
    await face.follower.snooze(a, 1100.0)
    await face.follower.snooze(b, 1000.0)
    assert await face.follower.unsnooze(a.id) and not await face.follower.unsnooze(a.id)
    assert face.returned == [(b.id, True)] and face.books[-1].get(a.id) is None
    wall[0] = 1000.0 + BACK_KEPT + 1
    await face.follower.look()
    await face.follower.snooze(a, wall[0] + 60)  # a write: the next read sees the pruning
    assert face.books[-1].get(b.id) is None and a.id in face.books[-1].away


async def test_a_snooze_made_in_another_process_shows_at_the_next_look(tmp_path: Path):
    path, wall = tmp_path / "a-snoozes.sqlite3", [1000.0]
    face = _Face(path, wall)
    await face.follower.look()
    told = len(face.books)
    await face.follower.look()
    assert len(face.books) == told  # nothing written: not told again
    elsewhere = SnoozeStore(path)
    await asyncio.to_thread(elsewhere.snooze, sample(1)[0], 2000.0)
    await face.follower.look()
    assert len(face.books) == told + 1 and "n000000" in face.books[-1].away
