"""Saved views as tabs above the list: "All" first, each with its unread count.

One line of text, not a row of widgets (Textual's ``Tabs`` cost a tenth of a
second's worth of frames at start and a relayout at every count): the active
view is highlighted, a click picks the view under it.

"All" shows the badge's count; each saved view's count is the server's (a
page-size-1 request per view, :meth:`Controller.count_unread`).
Both follow ``COUNT_DELAY`` after the unread count last moved, and at most
``COUNT_MAX_DELAY`` after it first moved: a stream moves it without a pause,
and asking every second put the requests' work among the arrivals' paints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.events import Click
from textual.message import Message
from textual.widget import Widget

from tiri_tui.settings.customisation import SavedView
from tiri_tui.sync.controller_api import Controller
from tiri_tui.sync.rules import Filters
from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.text import one_line

log = logging.getLogger(__name__)
#: Counts are asked again this long after the unread count last moved…
COUNT_DELAY = 1.0
#: …or this long after it first moved, if it never stops moving.
COUNT_MAX_DELAY = 10.0


class RecountPacer:
    """When to ask the views' counts again (pure: the clock is the caller's)."""

    def __init__(self, quiet: float = COUNT_DELAY, ceiling: float = COUNT_MAX_DELAY) -> None:
        self._quiet, self._ceiling = quiet, ceiling
        self._first: float | None = None
        self._last = 0.0

    def moved(self, now: float) -> bool:
        """The unread count moved at ``now``; True if no recount was pending
        (then wait ``COUNT_DELAY`` and ask :meth:`wait`)."""
        self._last = now
        if self._first is None:
            self._first = now
            return True
        return False

    def wait(self, now: float) -> float:
        """Seconds to wait still; 0: ask now (nothing is pending after that)."""
        if self._first is None:
            return 0.0
        due = min(self._last + self._quiet, self._first + self._ceiling)
        if now >= due:
            self._first = None
            return 0.0
        return due - now


class ViewTabs(Widget):
    """The tabs; they select a view, the dashboard applies its filters."""

    COMPONENT_CLASSES = {"view-tabs--active", "view-tabs--count"}

    DEFAULT_CSS = """
    ViewTabs { height: 1; width: 100%; background: $boost; }
    ViewTabs > .view-tabs--active { background: $primary 60%; text-style: bold; }
    ViewTabs > .view-tabs--count { text-style: bold; color: $accent; }
    """

    class Chosen(Message):
        """A tab was clicked: show view ``index`` (0: All)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(
        self,
        views: tuple[SavedView, ...],
        *,
        clock: Callable[[], float] = time.monotonic,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.views = views
        self._clock = clock
        self._pacer = RecountPacer()
        self.active_index: int | None = 0
        self._counts: list[int | None] = [None] * (len(views) + 1)
        self._spans: list[tuple[int, int, int]] = []

    def filters_of(self, index: int) -> Filters:
        """The filters view ``index`` shows (0: none)."""
        return Filters() if index == 0 else self.views[index - 1].filters

    def index_of(self, filters: Filters) -> int | None:
        """The view these filters are, if any."""
        return next((k for k in range(len(self.views) + 1) if self.filters_of(k) == filters), None)

    def labels(self) -> list[str]:
        """Each tab's words: ``1 All 12``, ``2 urgent 3``…"""
        out = []
        for index in range(len(self.views) + 1):
            name = "All" if index == 0 else one_line(self.views[index - 1].name, 20)
            count = self._counts[index]
            out.append(f"{index + 1} {name}" + (f" {count:,}" if count else ""))
        return out

    def render(self) -> Text:
        active = self.get_component_rich_style("view-tabs--active")
        counted = self.get_component_rich_style("view-tabs--count")
        text, self._spans = Text(), []
        for index, label in enumerate(self.labels()):
            start = len(text)
            number, name = label.split(" ", 1)
            if self._counts[index]:
                name, _, count = name.rpartition(" ")
            text.append(f" {number} {name}")
            if self._counts[index]:
                text.append(f" {count}", counted)
            text.append(" ")
            if index == self.active_index:
                text.stylize(active, start, len(text))
            self._spans.append((start, len(text), index))
            text.append("│", "dim")
        return text

    def on_click(self, event: Click) -> None:
        for start, end, index in self._spans:
            if start <= event.x < end:
                self.post_message(self.Chosen(index))

    def highlight_view(self, index: int | None) -> None:
        """Highlight view ``index`` (None: the filters are no view's)."""
        if index != self.active_index:
            self.active_index = index
            self.refresh()

    def counts_changed(self, controller: Controller) -> None:
        """The unread count moved: the tabs' counts follow once it rests (or
        now and then while it never does); the badge is the live one."""
        if self._pacer.moved(self._clock()):
            self.set_timer(COUNT_DELAY, lambda: self._when_due(controller))

    def _when_due(self, controller: Controller) -> None:
        wait = self._pacer.wait(self._clock())
        if wait > 0:
            self.set_timer(wait, lambda: self._when_due(controller))
            return
        self._set_count(0, controller.unread_count)
        self.recount(controller)

    def _set_count(self, index: int, count: int | None) -> None:
        if self._counts[index] != count:
            self._counts[index] = count
            self.refresh()

    @work(exclusive=True, group="view-counts")
    async def recount(self, controller: Controller) -> None:
        """Ask the server for each view's unread count."""
        for index, view in enumerate(self.views, 1):
            try:
                self._set_count(index, await controller.count_unread(view.filters))
            except TiriError as exc:
                log.info("counting view %s failed: %s", view.name, exc)
                return  # the next change of the count asks again
