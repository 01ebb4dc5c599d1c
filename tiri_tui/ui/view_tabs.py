"""Saved views as tabs above the list: "All" first, each with its unread count.

"All" shows the badge's count; each saved view's count is the server's (a
page-size-1 request per view, :meth:`NotificationController.count_unread`).
Both follow ``COUNT_DELAY`` after the unread count moves, once per burst.
"""

from __future__ import annotations

import logging

from rich.text import Text
from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Tab, Tabs

from tiri_tui.controller import NotificationController
from tiri_tui.customisation import SavedView
from tiri_tui.errors import TiriError
from tiri_tui.sync_rules import Filters
from tiri_tui.text import one_line

log = logging.getLogger(__name__)
#: Counts are asked again this long after the unread count last moved.
COUNT_DELAY = 1.0


class ViewTabs(Tabs):
    """The tabs; they select a view, the dashboard applies its filters."""

    class Chosen(Message):
        """A tab was clicked: show view ``index`` (0: All)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, views: tuple[SavedView, ...], *, id: str | None = None) -> None:
        self.views = views
        self._counts: list[int | None] = [None] * (len(views) + 1)
        self._quiet = False  # set while the dashboard moves the active tab itself
        self._recount_timer: Timer | None = None
        super().__init__(
            *(Tab(self._label(k), id=f"view-{k}") for k in range(len(views) + 1)), id=id
        )

    def filters_of(self, index: int) -> Filters:
        """The filters view ``index`` shows (0: none)."""
        return Filters() if index == 0 else self.views[index - 1].filters

    def index_of(self, filters: Filters) -> int | None:
        """The view these filters are, if any."""
        return next((k for k in range(len(self.views) + 1) if self.filters_of(k) == filters), None)

    def _label(self, index: int) -> Text:
        name = "All" if index == 0 else one_line(self.views[index - 1].name, 20)
        count = self._counts[index]
        label = Text(f"{index + 1} {name}")
        if count:
            label.append(f" {count:,}", style="bold")
        return label

    def highlight_view(self, index: int | None) -> None:
        """Highlight view ``index`` (None: the filters are no view's)."""
        if index is not None and self.active != f"view-{index}":
            self._quiet = True
            self.active = f"view-{index}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if self._quiet:
            self._quiet = False
            return
        if event.tab.id is not None:
            self.post_message(self.Chosen(int(event.tab.id.removeprefix("view-"))))

    def counts_changed(self, controller: NotificationController) -> None:
        """The unread count moved: the tabs' counts follow a moment later, once
        for a whole burst (a tab's label costs a relayout; the badge is live)."""
        if self._recount_timer is None:
            self._recount_timer = self.set_timer(COUNT_DELAY, lambda: self._recount(controller))

    def _recount(self, controller: NotificationController) -> None:
        self._recount_timer = None
        self._set_count(0, controller.unread_count)
        self.recount(controller)

    def _set_count(self, index: int, count: int | None) -> None:
        if self._counts[index] != count:
            self._counts[index] = count
            self.query_one(f"#view-{index}", Tab).label = self._label(index)

    @work(exclusive=True, group="view-counts")
    async def recount(self, controller: NotificationController) -> None:
        """Ask the server for each view's unread count."""
        for index, view in enumerate(self.views, 1):
            try:
                self._set_count(index, await controller.count_unread(view.filters))
            except TiriError as exc:
                log.info("counting view %s failed: %s", view.name, exc)
                return  # the next change of the count asks again
