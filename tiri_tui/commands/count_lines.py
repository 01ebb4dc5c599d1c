"""What `count` prints: a reading (a number, or none, and whether it is stale)
in the chosen format, built from the integer and fixed words alone: nothing
from the server reaches a status bar."""

from __future__ import annotations

import json
from dataclasses import dataclass

from tiri_tui.commands.headless import LineOutput

FORMATS = ("plain", "json", "waybar", "tmux")


@dataclass(frozen=True, slots=True)
class Reading:
    """An unread count (None: not known at all) and whether it is the server's now."""

    count: int | None
    stale: bool


class Shown:
    """The lines `count --watch` printed: a reading is printed when it differs
    from the last one."""

    def __init__(self, lines: LineOutput, fmt: str) -> None:
        self.lines = lines
        self.fmt = fmt
        self.last: Reading | None = None

    def show(self, reading: Reading) -> None:
        if reading != self.last:
            self.last = reading
            self.lines.write(render(reading, self.fmt))


def render(reading: Reading, fmt: str) -> str:
    """One line in ``fmt`` (one of :data:`FORMATS`)."""
    count, stale = reading.count, reading.stale
    shown = "?" if count is None else str(count)
    if fmt == "json":
        return json.dumps({"unread_count": count, "stale": stale})
    if fmt == "waybar":
        if stale:
            tooltip = f"{shown} unread when last seen; the server cannot be reached"
        else:
            tooltip = f"{shown} unread notification{'' if count == 1 else 's'}"
        kind = "stale" if stale else ("unread" if count else "zero")
        return json.dumps({"text": shown, "tooltip": tooltip, "class": kind})
    # A stale count is marked where a person reads it: `3?` (a bare `?` is unknown).
    marked = f"{shown}{'?' if stale and count is not None else ''}"
    if fmt == "tmux":
        return f"✉ {marked}"
    return marked
