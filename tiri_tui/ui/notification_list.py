"""The notification list: a line-API ScrollView that renders only the visible rows.

Like Textualize's toolong, it holds no widget per row: ``render_line`` reads
the row straight from the controller's inbox by position, so 100,000
notifications cost what 30 do. Text from the server goes in as plain
Segments (never markup) after :func:`tiri_tui.wire.text.inert`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.events import Click, Key
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tiri_tui.ui.days import DayIndex, day_label
from tiri_tui.ui.frames import hold_collections_until_drawn
from tiri_tui.ui.keymap import Scope, bindings
from tiri_tui.ui.row import STYLE_NAMES, draw_row, fit, relative_age
from tiri_tui.wire.models import Notification


class RowSource(Protocol):
    """What the list reads its rows from (the controller's inbox)."""

    @property
    def version(self) -> int:
        """Moves when rows are added, removed or moved (the day index looks again)."""

    def __len__(self) -> int: ...

    def __getitem__(self, position: int) -> Notification: ...

    def position(self, notification_id: str) -> int | None:
        """Where this id stands (0 is the top), if held."""

    def time_at(self, position: int) -> float:
        """When the row at ``position`` was created (Unix seconds)."""

    def rows_since(self, moment: float) -> int:
        """How many rows were created at or after ``moment`` (Unix seconds)."""


#: Drawn rows kept: a few screens of the tallest terminal.
ROWS_KEPT = 512
#: How long an arrival stays highlighted.
FRESH_SECONDS = 8.0
#: Rows younger than this show ages that change by the second or minute.
YOUNG_SECONDS = 3600.0
#: Rows n / N look through per press before saying none is there.
UNREAD_SCAN = 5000
#: A count has at most this many digits (99999j is the longest move).
COUNT_DIGITS = 5


class NotificationList(ScrollView, can_focus=True):
    """A virtualised, keyboard-driven list of notifications (newest first)."""

    BINDINGS = bindings(Scope.LIST)

    COMPONENT_CLASSES = {
        "notification-list--cursor",
        "notification-list--unread",
        "notification-list--read",
        "notification-list--urgent",
        "notification-list--high",
        "notification-list--meta",
        "notification-list--message",
        "notification-list--fresh",
        "notification-list--marked",
        "notification-list--day",
    }

    DEFAULT_CSS = """
    NotificationList {
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    class Highlighted(Message):
        """The cursor moved to another notification (None: the list is empty)."""

        def __init__(self, notification: Notification | None) -> None:
            super().__init__()
            self.notification = notification

    class NearEnd(Message):
        """Older rows are wanted: the cursor came close to the last loaded row,
        or (``asked``) the reader went to the end, wherever the cursor was."""

        def __init__(self, *, asked: bool = False) -> None:
            super().__init__()
            self.asked = asked

    class Fits(Message):
        """The list can show this many rows at once (it was sized): older
        rows are wanted until it has them."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class Counting(Message):
        """A count is being typed (the next move repeats this often; 0: it was used)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class NoUnread(Message):
        """n or N found nothing (more) to go to: what to tell the reader."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class NewAbove(Message):
        """How many arrivals are above the view, unseen (0: none, or back at the top)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    #: The row under the cursor; always a valid row (0 when the list is empty).
    cursor: reactive[int] = reactive(0, init=False)

    def __init__(
        self,
        source: RowSource,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source = source
        self._clock = clock
        self._now = clock()
        self._cursor_id: str | None = None
        self._cursor_item: Notification | None = None
        self._styles: dict[str, Style] | None = None
        #: Rows drawn lately, by id: a row that only moved (arrivals above it,
        #: scrolling) is the same Strip again, so neither we nor Textual's
        #: caches inside the Strip redo the work, and no garbage is made.
        self._drawn: LRUCache[str, tuple[Notification, int, bool, str, bool, bool, Strip]] = (
            LRUCache(ROWS_KEPT)
        )
        #: Every row index rendered so far; tests clear it to check that a
        #: paint touches only the visible rows.
        self.rendered_rows: set[int] = set()
        #: Arrivals shown highlighted for a moment, by id: when they came (monotonic).
        self._fresh: dict[str, float] = {}
        #: Where the day headers go (a line before each day's first row).
        self.days = DayIndex()
        #: Rows marked to act on together (space, ``*``), by id.
        self.marked: set[str] = set()
        #: Arrivals above the view since the reader scrolled away from the top.
        self.new_above = 0
        #: What an empty list says, in its middle (the dashboard knows why it is empty).
        self.empty_text = ""
        #: The digits that start a count (the others are keys in force for a view).
        self.count_digits: frozenset[str] = frozenset("123456789")
        #: The count typed so far ("" when none), and what the current key's move repeats.
        self._count = ""
        self._repeat = 1

    # -- data changes (called by the app, at most once per frame) -----------------------
    def sync(self) -> None:
        """Take the source's new length; keep the cursor on the same notification."""
        index = self.cursor
        old_line = self.days.line_of(index)
        self._index_days()
        if self._cursor_id is not None:
            found = self.source.position(self._cursor_id)
            if found is not None:
                shift = self.days.line_of(found) - old_line
                if shift and self.scroll_offset.y > 0:
                    # Rows arrived above: keep the view steady under the reader,
                    # and say how many wait up there.
                    self.scroll_to(y=self.scroll_offset.y + shift, animate=False, immediate=True)
                    if found > index:
                        self._set_new_above(self.new_above + found - index)
                index = found
        # The cursor follows its notification without moving the view: at the
        # top, arrivals stay in sight (set_reactive skips the scroll-into-view
        # a key press gets).
        self.set_reactive(NotificationList.cursor, self.validate_cursor(index))
        self._remember_cursor()
        self.refresh()

    def _index_days(self) -> None:
        """Day headers for the source as it is now; the height follows."""
        self.days.update(self.source, self.source.version)
        size = Size(self.size.width, self.days.lines)
        if size == self.virtual_size:
            return
        if self._scrollbar_stays(size):
            # Only the scrollbar's thumb moves. Setting the size outright asks
            # the whole screen for a layout: on every arrival of a stream that
            # was most of its paint, and the arrival's paint waited for it.
            self.set_reactive(NotificationList.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def _scrollbar_stays(self, size: Size) -> bool:
        """Whether the list at ``size`` keeps its width and its scrollbar
        (shown or not): then nothing around it moves."""
        height = self.container_size.height
        return (
            self.is_mounted
            and height > 0
            and size.width == self.virtual_size.width
            and (size.height > height) == self.show_vertical_scrollbar
        )

    def _top_row(self) -> int:
        """The row at the top of the view (the first row of a header's day)."""
        return self.days.at_line(int(self.scroll_offset.y))[0]

    def tick(self) -> None:
        """Re-read the clock so ages stay current."""
        self._now = self._clock()
        self.refresh()

    def tick_if_young(self) -> None:
        """Each second: ages in seconds and minutes must move while they are
        on screen ("now" for half a minute was wrong); older ones can wait
        for the half-minute tick. Looks at the top visible row only."""
        top = self._top_row()
        if top < len(self.source):
            now = self._clock()
            if (now - self.source[top].created_at).total_seconds() < YOUNG_SECONDS:
                self._now = now
                self.refresh()

    def mark_fresh(self, notification_id: str) -> None:
        """Highlight an arrival for :data:`FRESH_SECONDS` (the list signals it, not a toast)."""
        # Re-inserted, so the dict stays in arrival order (oldest first).
        self._fresh.pop(notification_id, None)
        self._fresh[notification_id] = time.monotonic()

    def expire_fresh(self) -> None:
        """Drop the highlights that are over (called every second): from the
        oldest arrival on, touching only those that expire."""
        over = time.monotonic() - FRESH_SECONDS
        expired = 0
        for arrived in self._fresh.values():
            if arrived > over:
                break
            expired += 1
        for nid in list(itertools.islice(self._fresh, expired)):
            del self._fresh[nid]
        if expired:
            self.refresh()

    def _set_new_above(self, count: int) -> None:
        if count != self.new_above:
            self.new_above = count
            self.post_message(self.NewAbove(count))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 and self.new_above:
            self._set_new_above(0)  # back at the top: they are in sight

    @property
    def current(self) -> Notification | None:
        """The notification under the cursor."""
        if 0 <= self.cursor < len(self.source):
            return self.source[self.cursor]
        return None

    # -- rendering ------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines a frame draws: the list is in nearly every frame of a
        stream, so it keeps collections out of them (see :mod:`frames`)."""
        hold_collections_until_drawn()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """One visible line: a day's header, the row at scroll offset + y, or blank."""
        line = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        index, header = (
            self.days.at_line(line) if line < self.days.lines else (len(self.source), False)
        )
        if header and index < len(self.source) and width > 0:
            return self._header(self.source.time_at(index), width)
        if index >= len(self.source) or width <= 0:
            fill = self._row_styles()["fill"]
            if not len(self.source) and self.empty_text and y == self.size.height // 2:
                text = fit(self.empty_text, width).center(width)
                return Strip([Segment(text, fill + self._row_styles()["meta"])], width)
            return Strip.blank(width, fill)
        self.rendered_rows.add(index)
        return self._row(self.source[index], width, index == self.cursor)

    def notify_style_update(self) -> None:
        """Styles changed (theme, focus): forget the cached ones."""
        super().notify_style_update()
        self._styles = None
        self._drawn.clear()

    def _row_styles(self) -> dict[str, Style]:
        # Looking styles up per row costs more than drawing the row: once per
        # style change is enough.
        if self._styles is None:
            get = self.get_component_rich_style
            self._styles = {name: get(f"notification-list--{name}") for name in STYLE_NAMES}
            self._styles["fill"] = self.rich_style
        return self._styles

    def _header(self, placed: float, width: int) -> Strip:
        """The header of the day its first row is placed in (a row back from a
        snooze is placed by its return, not by when it was made)."""
        label = f" {day_label(datetime.fromtimestamp(placed, UTC), self._now)} "
        style = self._row_styles()["day"]
        return Strip([Segment(fit(label, width), style)]).adjust_cell_length(width, style)

    def _row(self, n: Notification, width: int, selected: bool) -> Strip:
        age = relative_age(n.created_at, self._now)
        fresh = n.id in self._fresh
        marked = n.id in self.marked
        drawn = self._drawn.get(n.id)
        # The very object (a changed row is a new one), at this width and age.
        if (
            drawn is not None
            and drawn[0] is n
            and drawn[1:6] == (width, selected, age, fresh, marked)
        ):
            return drawn[6]
        strip = draw_row(
            n, width, age, self._row_styles(), selected=selected, fresh=fresh, marked=marked
        )
        self._drawn[n.id] = (n, width, selected, age, fresh, marked, strip)
        return strip

    # -- cursor -------------------------------------------------------------------------
    def validate_cursor(self, index: int) -> int:
        return max(0, min(index, len(self.source) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        line = self.days.line_of(new)
        # Going up onto a day's first row shows its header too.
        wanted_top = line - 1 if self.days.starts_day(new) else line
        if wanted_top < top:
            self.scroll_to(y=wanted_top, animate=False, immediate=True)
        elif height > 0 and line >= top + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True)
        self.refresh_line(self.days.line_of(old))
        self.refresh_line(line)
        self._remember_cursor()
        if new >= len(self.source) - 5:
            self.post_message(self.NearEnd())

    def move_to(self, index: int) -> None:
        """Put the cursor on ``index`` (clamped) and scroll it into view."""
        self.cursor = index

    def _remember_cursor(self) -> None:
        current = self.current
        # Only a different notification, or a new version of it, is news.
        if current is not self._cursor_item:
            self._cursor_item = current
            self._cursor_id = current.id if current else None
            self.post_message(self.Highlighted(current))

    # -- a count before a move (5j, 3n), as in vim, neomutt and less ---------------------
    def on_key(self, event: Key) -> None:
        """Digits free for counting (not a view's key in force) start a count;
        any digit extends one; the next key takes it (moves repeat, others drop it)."""
        digit = event.character if event.character and event.character in "0123456789" else None
        if digit is not None and (self._count or digit in self.count_digits):
            self._count = (self._count + digit)[-COUNT_DIGITS:]
            self.post_message(self.Counting(int(self._count)))
            event.stop()
            event.prevent_default()
            return
        # This key's action (if it is a move) repeats this often; any other drops it.
        if self._count:
            self.post_message(self.Counting(0))  # typed: no longer one being typed
        self._repeat, self._count = int(self._count or 1), ""

    def _times(self) -> int:
        times, self._repeat = self._repeat, 1
        return max(1, times)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + self._times())

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - self._times())

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.source) - 1)
        # Asked for, not inferred from a move: on the last row already, G
        # still wants what lies below it.
        self.post_message(self.NearEnd(asked=True))

    def _scroll_by(self, rows: int) -> None:
        self.scroll_to(y=max(0, self.scroll_offset.y + rows), animate=False, immediate=True)
        self.move_to(self.cursor + rows)

    def action_page_down(self) -> None:
        self._scroll_by(max(1, self.scrollable_content_region.height) * self._times())

    def action_page_up(self) -> None:
        self._scroll_by(-max(1, self.scrollable_content_region.height) * self._times())

    def action_half_page_down(self) -> None:
        self._scroll_by(max(1, self.scrollable_content_region.height // 2) * self._times())

    def action_half_page_up(self) -> None:
        self._scroll_by(-max(1, self.scrollable_content_region.height // 2) * self._times())

    def action_next_unread(self) -> None:
        self._to_unread(1)

    def action_previous_unread(self) -> None:
        self._to_unread(-1)

    def _to_unread(self, step: int) -> None:
        """The count-th unread row below (or above) the cursor; at most
        :data:`UNREAD_SCAN` rows are looked at per press (never a pass over
        100,000 on the event loop), and the list says where it stopped."""
        times, source = self._times(), self.source
        index, looked, found = self.cursor, 0, None
        while times and looked < UNREAD_SCAN:
            index += step
            if not 0 <= index < len(source):
                break
            looked += 1
            if not source[index].is_read:
                found, times = index, times - 1
        if found is not None:
            self.move_to(found)
        where = "below" if step > 0 else "above"
        if found is None or times:
            searched = f" in the next {UNREAD_SCAN:,} rows" if looked >= UNREAD_SCAN else ""
            self.post_message(
                self.NoUnread(f"No {'more ' if found is not None else ''}unread {where}{searched}")
            )

    def on_click(self, event: Click) -> None:
        """Clicking a row selects it (a day's header: that day's first row)."""
        self.move_to(self.days.at_line(self.scroll_offset.y + event.y)[0])

    def fits(self) -> int:
        """Rows the list can show at once, and a few to scroll into."""
        return self.scrollable_content_region.height + 5

    def on_resize(self) -> None:
        self.post_message(self.Fits(self.fits()))
        self._index_days()
        # Shorter now (a marker or the filter bar appeared above): the cursor
        # must not be left below the view.
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        line = self.days.line_of(self.cursor)
        if height > 0 and top + height <= line:
            self.call_after_refresh(
                self.scroll_to, y=line - height + 1, animate=False, immediate=True
            )
