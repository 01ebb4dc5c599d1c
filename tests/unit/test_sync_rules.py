"""What a walk of pages proves: the rules that decide which held rows were deleted."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from tiri_tui.sync.rules import (
    Coverage,
    Vanished,
    advanced_watermark,
    deleted_elsewhere,
    newest_of,
    reconcile_done,
    walk_reached,
)
from tiri_tui.wire.models import Notification, Page

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(minute: int) -> float:
    return (T0 + timedelta(minutes=minute)).timestamp()


def page(minutes: list[int], *, count: int = 100, last: bool = False, rejected: int = 0) -> Page:
    results = [
        Notification(f"n{m}", "t", "m", False, T0 + timedelta(minutes=m), "new_message")
        for m in minutes
    ]
    return Page(count, None if last else "http://x/?page=2", None, results, ["bad"] * rejected)


def test_page_one_proves_everything_above_its_oldest_row():
    """Page 1 is the top of the list: a held row newer than its newest and not
    on it was deleted (the newest one, swiped away on the phone)."""
    v = Coverage(grows_only_at_top=True).add(page([50, 49, 48]))
    assert (v.low, v.high) == (at(48), math.inf)
    assert v.top and v.oldest == at(48)
    assert v.listed == {"n50", "n49", "n48"}


def test_only_page_one_is_the_top_even_after_a_partial_first_page():
    walk = Coverage(grows_only_at_top=True)
    assert walk.add(page([50, 49], rejected=1)) is None
    assert not walk.add(page([45, 44])).top


def held_rows(*minutes: int) -> list[tuple[str, float]]:
    return [(f"n{m}", at(m)) for m in minutes]


def test_at_the_top_only_rows_held_before_page_one_was_asked_for_are_deleted():
    """n52 arrived live while page 1 was on its way: the page cannot know it."""
    v = Coverage(grows_only_at_top=True).add(page([50, 49, 48]))
    held = held_rows(52, 51, 50, 49, 48)
    gone = deleted_elsewhere(v, held, held_before={"n51", "n50", "n49"}, pending=lambda _: False)
    assert gone == ["n51"]


def test_a_row_with_an_intent_still_queued_is_never_deleted():
    v = Coverage(grows_only_at_top=True).add(page([50, 48]))
    held = held_rows(51, 50, 49, 48)
    assert deleted_elsewhere(v, held, held_before={"n51", "n49"}, pending={"n49"}.__contains__) == [
        "n51"
    ]


def test_below_the_top_every_unlisted_row_in_the_span_is_deleted():
    v = Vanished(at(40), at(45), frozenset({"n44"}))
    held = held_rows(44, 43, 42)
    assert deleted_elsewhere(v, held, held_before=set(), pending=lambda _: False) == ["n43", "n42"]


def test_consecutive_pages_prove_the_gap_between_them_when_the_count_held():
    walk = Coverage(grows_only_at_top=True)
    walk.add(page([50, 49], count=10))
    v = walk.add(page([45, 44], count=10))
    assert (v.low, v.high) == (at(44), at(49))  # 46-48 were deleted if held


def test_a_shrinking_count_leaves_the_gap_between_pages_unproven():
    """Something above was deleted meanwhile: offset paging may have skipped one."""
    walk = Coverage(grows_only_at_top=True)
    walk.add(page([50, 49], count=10))
    v = walk.add(page([45, 44], count=9))
    assert (v.low, v.high) == (at(44), at(45))


def test_with_a_filter_only_overlapping_pages_prove_the_gap():
    walk = Coverage(grows_only_at_top=False)
    walk.add(page([50, 49], count=10))
    assert walk.add(page([45, 44], count=10)).high == at(45)
    walk = Coverage(grows_only_at_top=False)
    walk.add(page([50, 49], count=10))
    assert walk.add(page([49, 44], count=9)).high == at(49)  # overlap: contiguous


def test_the_last_page_proves_everything_below_it():
    walk = Coverage(grows_only_at_top=True)
    walk.add(page([5, 4], count=4))
    v = walk.add(page([3, 2], count=4, last=True))
    assert v.low is None and v.high == at(4)
    v = Coverage(grows_only_at_top=True).add(page([3, 2], last=True))  # page 1 and the last
    assert v.low is None and v.high == math.inf


def test_partial_and_empty_pages_prove_nothing_and_break_the_chain():
    walk = Coverage(grows_only_at_top=True)
    walk.add(page([50, 49]))
    assert walk.add(page([47, 46], rejected=1)) is None
    assert walk.add(page([45, 44])).high == at(45)  # not chained to the partial page
    assert Coverage(grows_only_at_top=True).add(page([], last=True)) is None


def test_the_watermark_only_moves_forward():
    early, late = T0, T0 + timedelta(minutes=1)
    assert advanced_watermark(None, early) == early
    assert advanced_watermark(early, late) == late
    assert advanced_watermark(late, early) == late
    assert advanced_watermark(late, None) == late


def test_a_fill_stops_at_the_sync_point_or_the_end_of_the_list():
    synced = T0 + timedelta(minutes=10)
    assert walk_reached(page([30, 20]), None)  # a first load needs page 1 only
    assert not walk_reached(page([30, 20]), synced)
    assert walk_reached(page([15, 10]), synced)  # reached it
    assert walk_reached(page([30, 20], last=True), synced)  # the list ended
    assert newest_of(page([30, 20])) == T0 + timedelta(minutes=30)
    assert newest_of(page([])) is None


def test_a_reconciliation_walk_ends_below_the_oldest_held_or_at_a_loop():
    oldest = T0 + timedelta(minutes=5)
    assert not reconcile_done(page([30, 20]), oldest, set())
    assert reconcile_done(page([10, 5]), oldest, set())
    assert reconcile_done(page([30, 20]), None, set())
    assert reconcile_done(page([30, 20]), oldest, {"http://x/?page=2"})
    assert reconcile_done(page([30, 20], last=True), oldest, set())
