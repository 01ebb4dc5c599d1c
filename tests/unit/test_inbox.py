"""The inbox: exactly once per id, newest first, positions for the list widget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from tiri_tui.sync.inbox import Inbox, Upsert
from tiri_tui.wire.models import Notification

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def make(nid: str, minutes: int, read: bool = False) -> Notification:
    return Notification(nid, f"t{nid}", "m", read, T0 + timedelta(minutes=minutes), "new_message")


def test_upsert_adds_once_and_updates_in_place():
    inbox = Inbox()
    assert inbox.upsert(make("a", 1)) is Upsert.ADDED
    assert inbox.upsert(make("b", 2)) is Upsert.ADDED
    assert inbox.upsert(make("a", 1)) is Upsert.UNCHANGED
    assert inbox.upsert(make("a", 1, read=True)) is Upsert.UPDATED
    assert [n.id for n in inbox] == ["b", "a"]
    assert inbox[1].is_read and len(inbox) == 2 and inbox.unread() == 1


def test_positions_and_removal():
    inbox = Inbox()
    for i in range(10):
        inbox.upsert(make(str(i), i))
    assert inbox.position("9") == 0 and inbox.position("0") == 9
    assert inbox.remove("5").id == "5" and inbox.remove("5") is None
    assert "5" not in inbox and len(inbox) == 9 and inbox.position("4") == 4


def test_changed_timestamp_moves_the_row():
    inbox = Inbox()
    inbox.upsert(make("a", 1))
    inbox.upsert(make("b", 2))
    inbox.upsert(msgspec.structs.replace(make("a", 1), created_at=T0 + timedelta(minutes=5)))
    assert [n.id for n in inbox] == ["a", "b"]


@given(
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 50), st.booleans()), max_size=60)
)
def test_random_upserts_keep_one_row_per_id_in_order(ops):
    inbox = Inbox()
    latest = {}
    for nid, minute, read in ops:
        inbox.upsert(make(nid, minute, read))
        latest[nid] = make(nid, minute, read)
    assert len(inbox) == len(latest)
    rows = list(inbox)
    assert {n.id for n in rows} == set(latest)
    assert rows == sorted(latest.values(), key=lambda n: n.sort_key, reverse=True)
    assert all(inbox.position(n.id) == i for i, n in enumerate(rows))


@given(st.lists(st.integers(0, 50), unique=True), st.integers(-1, 52), st.integers(-1, 52))
def test_ids_created_between_is_the_strict_span(minutes, low, high):
    inbox = Inbox()
    for m in minutes:
        inbox.upsert(make(str(m), m))
    stamp = (T0 + timedelta(minutes=0)).timestamp()
    got = inbox.ids_created_between(stamp + low * 60, stamp + high * 60)
    assert got == [str(m) for m in sorted(minutes, reverse=True) if low < m < high]
    unbounded = inbox.ids_created_between(None, stamp + high * 60)
    assert unbounded == [str(m) for m in sorted(minutes, reverse=True) if m < high]


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 5), st.booleans(), st.booleans()),
        max_size=80,
    )
)
def test_random_upserts_and_removals_with_many_ties_keep_positions(ops):
    """Rows created at the same moment are ordered by id; positions stay exact
    through moves and removals (the list widget reads rows by position)."""
    inbox = Inbox()
    latest: dict[str, Notification] = {}
    for nid, minute, read, remove in ops:
        if remove:
            assert (inbox.remove(nid) is None) == (latest.pop(nid, None) is None)
        else:
            inbox.upsert(make(nid, minute, read))
            latest[nid] = make(nid, minute, read)
    rows = list(inbox)
    assert rows == sorted(latest.values(), key=lambda n: n.sort_key, reverse=True)
    assert all(inbox.position(n.id) == i for i, n in enumerate(rows))
    assert inbox.unread() == sum(not n.is_read for n in latest.values())
