"""Day headers: labels in local time, and the line ↔ row index over a newest-first list."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from tests.support.fakes import sample
from tests.support.timezone import in_utc
from tiri_tui.sync.inbox import Inbox
from tiri_tui.ui.days import DayIndex, day_label

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


# Every test here runs in UTC unless it says otherwise.
utc = pytest.fixture(autouse=True)(in_utc)


def at(*moments: datetime) -> Inbox:
    inbox = Inbox()
    for k, moment in enumerate(moments):
        inbox.upsert(msgspec.structs.replace(sample(1)[0], id=f"n{k}", created_at=moment))
    return inbox


def test_labels():
    assert day_label(NOW - timedelta(hours=14), NOW) == "Today"
    assert day_label(NOW - timedelta(hours=16), NOW) == "Yesterday"
    assert day_label(datetime(2026, 11, 23, 9, tzinfo=UTC), NOW) == "Mon 23 Nov"
    assert day_label(datetime(2025, 11, 23, 9, tzinfo=UTC), NOW) == "Sun 23 Nov 2025"


def test_labels_follow_the_local_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Auckland")  # UTC+13 in November
    time.tzset()
    # Now is 04:00 on the 28th in Auckland: 10:00 UTC on the 27th (today in UTC)
    # was 23:00 on the 27th there.
    assert day_label(datetime(2026, 11, 27, 10, tzinfo=UTC), NOW) == "Yesterday"


def test_a_header_before_each_days_first_row_with_gaps_between_days():
    inbox = at(
        NOW - timedelta(hours=1),
        NOW - timedelta(hours=2),
        NOW - timedelta(days=1),
        NOW - timedelta(days=4),
        NOW - timedelta(days=4, hours=1),
        NOW - timedelta(days=4, hours=2),
    )
    days = DayIndex()
    assert days.update(inbox, inbox.version)
    assert not days.update(inbox, inbox.version)  # unchanged: not indexed again
    assert days.starts == [0, 2, 3]
    assert days.lines == 6 + 3
    drawn = [days.at_line(line) for line in range(days.lines)]
    assert drawn == [
        (0, True), (0, False), (1, False),
        (2, True), (2, False),
        (3, True), (3, False), (4, False), (5, False),
    ]  # fmt: skip
    assert [days.line_of(row) for row in range(6)] == [1, 2, 4, 6, 7, 8]
    assert days.starts_day(3) and not days.starts_day(4)


def test_the_index_follows_arrivals_and_removals():
    inbox = at(NOW - timedelta(days=1), NOW - timedelta(days=2))
    days = DayIndex()
    days.update(inbox, inbox.version)
    assert days.starts == [0, 1]
    inbox.upsert(msgspec.structs.replace(sample(1)[0], id="new", created_at=NOW))
    days.update(inbox, inbox.version)
    assert days.starts == [0, 1, 2]
    inbox.remove("n0")
    days.update(inbox, inbox.version)
    assert days.starts == [0, 1]


def test_a_hundred_thousand_rows_over_a_thousand_days_index_in_bisections():
    inbox = Inbox()
    base = sample(1)[0]
    for k in range(100_000):
        inbox.upsert(
            msgspec.structs.replace(
                base, id=f"n{k:06d}", created_at=NOW - timedelta(minutes=15 * k)
            )
        )
    reads = []

    class Counted:
        """The inbox, counting the rows the index reads."""

        version = inbox.version

        def __len__(self) -> int:
            return len(inbox)

        def __getitem__(self, position: int):
            reads.append(position)
            return inbox[position]

        def rows_since(self, moment: float) -> int:
            return inbox.rows_since(moment)

        def time_at(self, position: int) -> float:
            reads.append(position)
            return inbox.time_at(position)

    days = DayIndex()
    days.update(Counted(), inbox.version)
    dates = {(NOW - timedelta(minutes=15 * k)).date() for k in range(100_000)}
    assert len(days.starts) == len(dates) == 1043
    assert days.lines == 100_000 + 1043
    assert days.at_line(days.lines - 1) == (99_999, False)
    assert len(reads) <= 2 * 1043 + 2  # a row read or two per day, not a pass over the rows


def test_arrivals_on_the_top_day_shift_the_index_without_reading_it_again():
    inbox = at(NOW - timedelta(hours=1), NOW - timedelta(days=1), NOW - timedelta(days=2))
    days = DayIndex()
    days.update(inbox, inbox.version)
    assert days.starts == [0, 1, 2]
    for k in range(3):
        inbox.upsert(
            msgspec.structs.replace(
                sample(1)[0], id=f"new{k}", created_at=NOW - timedelta(minutes=k)
            )
        )
    days.update(inbox, inbox.version)
    assert days.starts == [0, 4, 5]
    inbox.upsert(
        msgspec.structs.replace(sample(1)[0], id="tomorrow", created_at=NOW + timedelta(days=1))
    )
    days.update(inbox, inbox.version)
    assert days.starts == [0, 1, 5, 6]  # a new day on top: indexed again
    inbox.upsert(
        msgspec.structs.replace(
            sample(1)[0], id="middle", created_at=NOW - timedelta(days=1, minutes=1)
        )
    )
    days.update(inbox, inbox.version)
    assert days.starts == [0, 1, 5, 7]  # not above the top: indexed again


def test_midnight_is_right_across_a_clock_change(monkeypatch):
    from tiri_tui.ui.days import local_midnight

    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    # 29 March 2026: clocks went from 02:00 to 03:00; 10:00 that day is 8 hours
    # after midnight by the clock, 9 by the wall.
    ten = datetime(2026, 3, 29, 10, tzinfo=UTC).astimezone().timestamp()
    midnight = datetime(2026, 3, 29).timestamp()  # naive: local midnight
    assert local_midnight(ten) == midnight
    assert local_midnight(midnight) == midnight
    assert local_midnight(midnight - 0.5) == datetime(2026, 3, 28).timestamp()
