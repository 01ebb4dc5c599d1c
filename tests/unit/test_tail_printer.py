"""`tail`'s memory of what it printed: bounded, and never a notification twice."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tiri_tui.commands.tailing import PrintedIds, TailPrinter
from tiri_tui.sync.events import NotificationAdded
from tiri_tui.wire.models import Notification

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make(i: int) -> Notification:
    return Notification(f"n{i}", "t", "m", False, T0 + timedelta(seconds=i), "new_message")


@given(st.lists(st.integers(0, 200), max_size=400))
def test_a_long_run_prints_each_once_in_bounded_memory(arrivals):
    """New ones arrive in order; any earlier one may be delivered again at any time."""
    out = io.StringIO()
    printer = TailPrinter(out, as_json=True)
    printer.printed = PrintedIds(limit=8)
    printer.live = True
    newest = -1
    for step, again in enumerate(arrivals):
        newest += 1
        printer(NotificationAdded(make(newest), live=True))
        printer(NotificationAdded(make(again % (newest + 1)), live=step % 2 == 0))
        assert len(printer.printed) <= 8
    printed = [json.loads(line)["notification"]["id"] for line in out.getvalue().splitlines()]
    assert len(printed) == len(set(printed)), "a notification was printed twice"
    assert printed == [f"n{i}" for i in range(newest + 1)], "a new one was not printed"


def test_the_backlog_is_labelled_old_and_live_ones_new():
    out = io.StringIO()
    printer = TailPrinter(out, as_json=False)
    printer.notification(make(1), backlog=True)
    printer.live = True
    printer(NotificationAdded(make(2), live=True))
    lines = out.getvalue().splitlines()
    assert " OLD " in lines[0] and " NEW " in lines[1]
    as_json = io.StringIO()
    json_printer = TailPrinter(as_json, as_json=True)
    json_printer.notification(make(3), backlog=True)
    assert json.loads(as_json.getvalue())["backlog"] is True


def test_an_older_page_fetched_for_a_dashboard_is_not_printed_but_a_late_find_is():
    out = io.StringIO()
    printer = TailPrinter(out, as_json=True)
    printer.live = True
    printer(NotificationAdded(make(1), live=False, paged=True))  # scrolled to, elsewhere
    printer(NotificationAdded(make(2), live=False))  # found by a fill: printed
    printed = [json.loads(line)["notification"]["id"] for line in out.getvalue().splitlines()]
    assert printed == ["n2"]
