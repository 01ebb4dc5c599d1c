"""Narrowing the list: unread only, search, a type, a priority, a saved view.

Each choice becomes new :class:`Filters` for the controller, which filters
what it holds at once and asks the server for the rest.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING

from msgspec.structs import replace
from textual.notifications import SeverityLevel
from textual.screen import Screen

from tiri_tui.sync.controller_api import Controller
from tiri_tui.sync.rules import Filters
from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.models import KNOWN_TYPES, PRIORITIES

if TYPE_CHECKING:
    from tiri_tui.settings.customisation import SavedView
    from tiri_tui.ui.screens import TypePickerScreen

#: The pickers count what is held among the newest this many (never a pass over 100,000).
COUNTED = 2000
#: Seconds the type picker waits for the server's unread counts by type.
BREAKDOWN_WAIT = 10.0


class FilterMenu:
    """The filter keys of one dashboard."""

    def __init__(
        self,
        controller: Callable[[], Controller | None],
        changed: Callable[[], None],
        say: Callable[[str, SeverityLevel], None],
        screen: Screen[None],
        views: tuple[SavedView, ...],
    ) -> None:
        self._controller, self._changed, self._say = controller, changed, say
        self._screen, self.views = screen, views

    def refilter(self, change: Callable[[Filters], Filters]) -> None:
        """Apply ``change`` to the filters in force."""
        controller = self._controller()
        if controller:
            controller.set_filters(change(controller.filters))
            self._changed()

    def switch_view(self, index: int) -> None:
        """1…9: "All", then the saved views."""
        if index > len(self.views):
            self._say(f"No view {index + 1}: add [views.NAME] tables to config.toml", "information")
            return
        filters = Filters() if index == 0 else self.views[index - 1].filters
        self.refilter(lambda f: filters)

    def toggle_unread(self) -> None:
        self.refilter(lambda f: replace(f, unread_only=not f.unread_only))

    def search(self) -> None:
        from tiri_tui.ui.screens import SearchScreen  # modal screens load when first used

        controller = self._controller()
        if controller is None:
            return

        def searched(term: str | None) -> None:
            if term is not None:
                self.refilter(lambda f: replace(f, search=term or None))

        self._screen.app.push_screen(SearchScreen(controller.filters.search), searched)

    def pick_type(self) -> None:
        from tiri_tui.ui.screens import ALL_TYPES, TypePickerScreen

        controller = self._controller()
        if controller is None:
            return
        types = Counter(n.notification_type for n in islice(controller.held, COUNTED))
        for known in KNOWN_TYPES:
            types.setdefault(known, 0)

        def picked(choice: str | None) -> None:
            if choice is not None:
                kind = None if choice == ALL_TYPES else choice
                self.refilter(lambda f: replace(f, notification_type=kind))

        current = controller.filters.notification_type
        picker = TypePickerScreen(types, current)
        self._screen.app.push_screen(picker, picked)
        self._screen.run_worker(self._unread_by_type(controller, picker), group="breakdown")

    @staticmethod
    async def _unread_by_type(controller: Controller, picker: TypePickerScreen) -> None:
        """The server's unread count per type, beside each type once it answers;
        a server that sends none (or cannot be reached) leaves the held counts."""
        try:
            breakdown = await asyncio.wait_for(controller.unread_breakdown(), BREAKDOWN_WAIT)
        except (TiriError, TimeoutError, OSError):
            return
        if breakdown.by_type is not None and picker.is_attached:
            picker.show_unread(breakdown.by_type)

    def pick_priority(self) -> None:
        from tiri_tui.ui.screens import ALL_TYPES, TypePickerScreen

        controller = self._controller()
        if controller is None:
            return
        held = Counter(n.priority or "normal" for n in islice(controller.held, COUNTED))

        def picked(choice: str | None) -> None:
            if choice is not None:
                level = None if choice == ALL_TYPES else choice
                self.refilter(lambda f: replace(f, priority=level))

        counts = {p: held.get(p, 0) for p in PRIORITIES}
        order = list(reversed(PRIORITIES))
        current = controller.filters.priority
        screen = TypePickerScreen(counts, current, noun="priority", order=order)
        self._screen.app.push_screen(screen, picked)
