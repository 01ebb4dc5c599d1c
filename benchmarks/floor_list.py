"""The floor for list figures: a minimal line-API ScrollView over plain strings (as toolong does)."""

from __future__ import annotations

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class MinimalList(ScrollView, can_focus=True):
    """Renders row i as its string; nothing else."""

    DEFAULT_CSS = "MinimalList { overflow-x: hidden; height: 1fr; }"

    def __init__(self, rows: list[str]) -> None:
        super().__init__()
        self.rows = rows
        self.cursor = 0

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= len(self.rows):
            return Strip.blank(width)
        return Strip([Segment(self.rows[index])]).adjust_cell_length(width)

    def page_down(self) -> None:
        height = self.scrollable_content_region.height
        self.scroll_to(y=self.scroll_offset.y + height, animate=False, immediate=True)
        self.refresh()

    def prepend(self, row: str) -> None:
        self.rows.insert(0, row)
        self.virtual_size = Size(self.size.width, len(self.rows))
        self.refresh()


class FloorApp(App[None]):
    def __init__(self, rows: list[str]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield MinimalList(self.rows)
