"""What the dashboard says in words: the active filters, and why the list is empty.

Every piece of user or server text here goes through :func:`one_line`
(inert, one line, cut), and the result is shown as plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tiri_tui.connection.policy import ConnectionState
from tiri_tui.sync.rules import Filters
from tiri_tui.ui.keymap import KeyId, key_name
from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import bare, one_line

#: The keys in force for a binding id (the defaults unless the dashboard says).
KeyOf = Callable[[KeyId], str]


def type_label(notification_type: str) -> str:
    """A type id as people read it: ``request_accepted`` → ``request accepted``."""
    return one_line(notification_type.replace("_", " "), 40)


def filter_labels(filters: Filters) -> list[str]:
    """Each active filter in words (the filter bar's and the metrics line's)."""
    labels = []
    if filters.unread_only:
        labels.append("unread only")
    if filters.notification_type:
        labels.append(f"type “{type_label(filters.notification_type)}”")
    if filters.types:
        labels.append("types " + ", ".join(f"“{type_label(t)}”" for t in sorted(filters.types)))
    if filters.priority:
        labels.append(f"priority {one_line(filters.priority, 20)}")
    if filters.search:
        labels.append(f"search “{one_line(filters.search, 40)}”")
    return labels


def describe_filters(
    filters: Filters, held_only: bool = False, *, offline: bool = False, key: KeyOf = key_name
) -> str:
    """The filter bar: what narrows the list, and how to undo it ('' when nothing).

    ``held_only``: the filters apply to what was held; the server has not
    answered yet (a moment after the change, or ``offline``: no answer
    is on its way). ``key``: the key in force for a binding id. The key
    comes first and the qualifier last: a narrow terminal cuts the end."""
    parts = filter_labels(filters)
    if not parts:
        return ""
    where = ""
    if held_only and offline:
        where = " · only what is held (offline)"
    elif held_only:
        where = " · what is held; the server's answer follows"
    return f"Filtered ({key(KeyId.BACK)} clears): " + " · ".join(parts) + where


def empty_state(
    filters: Filters, loaded: bool, state: ConnectionState, *, key: KeyOf = key_name
) -> str:
    """Why the list is empty, and what to do about it."""
    esc = key(KeyId.BACK)
    if filters.search:
        return f"No matches for “{one_line(filters.search, 40)}” — {esc} clears the filters"
    if filters.notification_type:
        label = type_label(filters.notification_type)
        return f"Nothing of type “{label}” — {esc} clears the filters"
    if filters.priority or filters.types:
        return (
            "Nothing here: " + " · ".join(filter_labels(filters)) + f" — {esc} clears the filters"
        )
    if filters.unread_only:
        return f"All caught up: nothing unread — {key(KeyId.UNREAD_ONLY)} shows everything"
    if not loaded:
        if state is ConnectionState.CONNECTED or state is ConnectionState.CONNECTING:
            return "Loading…"
        return f"Nothing here yet — waiting for the server ({key(KeyId.RECONNECT)} retries now)"
    return "No notifications yet"


def clipboard_text(n: Notification) -> str:
    """What y copies: title, sender, time, type and message, every control and
    BiDi character removed (a title cannot smuggle an escape sequence into the
    terminal, nor into what is pasted); the message keeps its line breaks."""
    longest = 100_000
    lines = [bare(n.title, longest)]
    if n.created_by_name:
        lines.append(f"from {bare(n.created_by_name, longest)}")
    lines.append(f"{n.created_at.isoformat()} · {bare(n.notification_type, 200)}")
    lines.append("")
    lines += [bare(line, longest) for line in n.message.splitlines()]
    return "\n".join(lines).rstrip("\n")


def when_words(until: datetime, now: datetime) -> str:
    """``17:30``, ``tomorrow 09:00``, ``Mon 7 Dec 09:00`` (local time)."""
    local, today = until.astimezone(), now.astimezone().date()
    days = (local.date() - today).days
    if days == 0:
        return f"{local:%H:%M}"
    if days == 1:
        return f"tomorrow {local:%H:%M}"
    label = f"{local:%a} {local.day} {local:%b} {local:%H:%M}"
    return label if local.year == today.year else f"{local:%a} {local.day} {local:%b %Y %H:%M}"
