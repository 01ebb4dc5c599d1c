"""What `count` prints: a reading (a number, or none, and whether it is stale,
and with ``--breakdown`` the split by type) in the chosen format, built from
integers, fixed words and type names made inert
(:func:`~tiri_tui.wire.account.shown_type`: letters, digits, ``_ . -``):
nothing else from the server reaches a status bar."""

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
    #: Unread per type, largest first (``--breakdown``; None: none asked, or
    #: the server sent none).
    by_type: dict[str, int] | None = None


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


#: Types named on a tmux status line at most (the rest are summed as "other").
TMUX_TYPES = 3


def render(reading: Reading, fmt: str, *, breakdown: bool = False) -> str:
    """``fmt`` (one of :data:`FORMATS`): one line, except plain with
    ``breakdown``, which adds a line per type (``4 new_message``)."""
    count, stale, by_type = reading.count, reading.stale, reading.by_type
    shown = "?" if count is None else str(count)
    if fmt == "json":
        body: dict[str, object] = {"unread_count": count, "stale": stale}
        if breakdown:
            body["breakdown"] = by_type
        return json.dumps(body)
    if fmt == "waybar":
        if stale:
            tooltip = f"{shown} unread when last seen; the server cannot be reached"
        else:
            tooltip = f"{shown} unread notification{'' if count == 1 else 's'}"
        for name, n in (by_type or {}).items():
            tooltip += f"\n{n} {name}"
        kind = "stale" if stale else ("unread" if count else "zero")
        return json.dumps({"text": shown, "tooltip": tooltip, "class": kind})
    # A stale count is marked where a person reads it: `3?` (a bare `?` is unknown).
    marked = f"{shown}{'?' if stale and count is not None else ''}"
    if fmt == "tmux":
        return f"✉ {marked}{_tmux_types(by_type)}"
    return "\n".join([marked, *(f"{n} {name}" for name, n in (by_type or {}).items())])


def _tmux_types(by_type: dict[str, int] | None) -> str:
    if not by_type:
        return ""
    named = list(by_type.items())[:TMUX_TYPES]
    parts = [f"{name} {n}" for name, n in named]
    other = sum(by_type.values()) - sum(n for _, n in named)
    if other:
        parts.append(f"other {other}")
    # tmux reads #[...] and #(...) in status-right: none can appear (inert names).
    return " (" + ", ".join(parts) + ")"
