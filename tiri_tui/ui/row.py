"""One notification as one line of the list: ``● ‼ Title — message … sender · age``.

Pure drawing (no widget state): the list passes the styles its CSS gives.
Server text goes in as plain Segments (never markup) after
:func:`tiri_tui.wire.text.one_line`, cut to the cells it may take with an ellipsis.
"""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import one_line

AGE_WIDTH = 4
TYPE_WIDTH = 20
#: From this width the row also shows the notification's type.
WIDE = 140
SENDER_WIDTH = 18
#: The row's styles, by name: the list's component classes.
STYLE_NAMES = (
    "read",
    "unread",
    "meta",
    "message",
    "urgent",
    "high",
    "cursor",
    "fresh",
    "marked",
    "day",
)


def relative_age(created: datetime, now: datetime) -> str:
    """A short age: now, 45s, 12m, 3h, 5d, 7w, or a date for old ones."""
    seconds = (now - created).total_seconds()
    if seconds < 5:
        return "now"
    for limit, unit, size in (
        (60, "s", 1),
        (3600, "m", 60),
        (86400, "h", 3600),
        (604800, "d", 86400),
    ):
        if seconds < limit:
            return f"{int(seconds // size)}{unit}"
    if seconds < 604800 * 52:
        return f"{int(seconds // 604800)}w"
    return created.strftime("%Y")


def fit(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` terminal cells, an ellipsis where it is cut."""
    if cells <= 0:
        return ""
    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, cells - 1).rstrip() + "…"


def draw_row(
    n: Notification,
    width: int,
    age: str,
    styles: dict[str, Style],
    *,
    selected: bool = False,
    fresh: bool = False,
    marked: bool = False,
) -> Strip:
    """The row of ``n`` at ``width`` cells; read rows are dimmed as a whole; a
    marked row (space, ``*``) shows ``✓`` in its first column, on its own colour."""
    read = n.is_read
    text_style = styles["read" if read else "unread"]
    quiet = styles["read" if read else "message"]
    meta = styles["read" if read else "meta"]
    if n.priority == "urgent":
        mark, mark_style = "‼ ", styles["urgent"]
    elif n.priority == "high":
        mark, mark_style = "! ", styles["high"]
    else:
        mark, mark_style = "  ", text_style
    kind = ""
    if width >= WIDE:
        label = n.notification_type_display or n.notification_type.replace("_", " ")
        kind = one_line(label, TYPE_WIDTH - 1).ljust(TYPE_WIDTH)
    sender = one_line(n.created_by_name, SENDER_WIDTH) if n.created_by_name else ""
    right = f"  {sender} · {age.rjust(AGE_WIDTH)}" if sender else f"  {age.rjust(AGE_WIDTH)}"
    room = max(0, width - 4 - len(kind) - cell_len(right))
    title = fit(one_line(n.title), room)
    message = fit(" — " + one_line(n.message), room - cell_len(title)) if n.message else ""
    if cell_len(message) < 3:
        message = ""  # no room for even the dash: the title alone
    pad = " " * max(0, room - cell_len(title) - cell_len(message))
    if marked:
        first = Segment("✓ ", styles["marked"])
    else:
        first = Segment("  " if read else "● ", text_style)
    segments = [
        first,
        Segment(mark, mark_style),
        Segment(kind, meta),
        Segment(title, text_style + Style(bold=not read)),
        Segment(message, quiet),
        Segment(pad, quiet),
        Segment(right, meta),
    ]
    fill = styles["fill"]
    if fresh:  # just arrived: a tint under the whole row for a moment (colours kept)
        tint = Style(bgcolor=styles["fresh"].bgcolor)
        segments = [Segment(seg.text, (seg.style or Style()) + tint) for seg in segments]
        fill = fill + tint
    if marked:  # the whole row, so a marked row reads as marked at a glance
        # (over an arrival's tint: the mark is the user's, and lasts)
        shade = Style(bgcolor=styles["marked"].bgcolor)
        segments = [Segment(seg.text, (seg.style or Style()) + shade) for seg in segments]
        fill = fill + shade
    if selected:
        # Layered on top: each segment's own colours must not hide the cursor.
        cursor = styles["cursor"]
        segments = [Segment(seg.text, (seg.style or Style()) + cursor) for seg in segments]
        fill = fill + cursor
    return Strip(segments).adjust_cell_length(width, fill)
