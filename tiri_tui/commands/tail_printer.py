"""What `tail` prints: the controller's events as lines, each notification once.

``--json`` prints one JSON object per line (strings JSON-escaped, so control
characters in untrusted text stay inert); the readable form escapes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TextIO

from tiri_tui.commands.headless import LineOutput
from tiri_tui.sync.events import (
    ActionQueued,
    ControllerEvent,
    NotificationAdded,
    NotificationRemoved,
    NotificationUpdated,
    ServerError,
    StateEvent,
    UnreadCountChanged,
)
from tiri_tui.wire.errors import login_advice
from tiri_tui.wire.models import Notification
from tiri_tui.wire.redaction import redact
from tiri_tui.wire.text import one_line

EXIT_SESSION = 2
#: How many printed ids `tail` remembers; older ones are covered by a floor.
PRINTED_MEMORY = 10_000


class PrintedIds:
    """The ids `tail` has printed, in bounded memory, never letting one print twice.

    The newest ``limit`` ids are remembered exactly. When one is forgotten its
    creation time raises a floor: nothing created at or before the floor is
    ever printed again (new notifications are created after what came before).
    """

    def __init__(self, limit: int = PRINTED_MEMORY) -> None:
        self._limit = limit
        self._ids: dict[str, datetime] = {}
        self._floor: datetime | None = None
        #: The newest creation time printed or covered (None: nothing yet).
        self.newest: datetime | None = None

    def __contains__(self, n: Notification) -> bool:
        return n.id in self._ids or (self._floor is not None and n.created_at <= self._floor)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, n: Notification) -> None:
        """Remember ``n`` as printed (or as not new)."""
        self.add_id(n.id, n.created_at)

    def add_id(self, nid: str, created_at: datetime) -> None:
        """Remember an id as printed (or as not new), by its creation time."""
        self._ids[nid] = created_at
        self._saw(created_at)
        while len(self._ids) > self._limit:
            oldest = next(iter(self._ids))
            forgotten = self._ids.pop(oldest)
            if self._floor is None or forgotten > self._floor:
                self._floor = forgotten

    def _saw(self, moment: datetime) -> None:
        if self.newest is None or moment > self.newest:
            self.newest = moment


#: Colours of the text mode's fixed labels (never of server text, which stays inert).
LABEL_COLOURS = {
    "NEW": "1;32",
    "OLD": "2",
    "UPD": "36",
    "DEL": "33",
    "ERR": "1;31",
    "●": "35",
    "unread:": "1",
}
COLOR_CHOICES = ("auto", "always", "never")


def use_color(choice: str, isatty: bool, environ: Mapping[str, str]) -> bool:
    """``--color``: ``always`` and ``never`` say it all; ``auto`` colours a
    terminal unless ``NO_COLOR`` is set (https://no-color.org: a flag wins over it)."""
    if choice != "auto":
        return choice == "always"
    return isatty and not environ.get("NO_COLOR")


class TailPrinter:
    """Turns controller events into output lines, flushed one by one."""

    def __init__(
        self, out: TextIO, *, as_json: bool, server: str = "", color: bool = False
    ) -> None:
        self.out = LineOutput(out)
        self.color = color and not as_json
        self.as_json = as_json
        self.server = server
        self.printed = PrintedIds()
        #: Until the initial load is done, fetched (not pushed) ones are "existing".
        self.live = False
        #: It followed the profile's agent (what it printed and saw is its
        #: memory, should it carry on alone).
        self.followed = False

    def __call__(self, event: ControllerEvent) -> None:
        match event:
            case StateEvent(state=state, reason=reason, code=code):
                self._write(
                    {
                        "event": "state",
                        "state": state.value,
                        "code": code.value,
                        "reason": redact(reason),
                    },
                    f"● {state.value}: {reason}",
                )
                if code.needs_login:
                    self._error(f"{reason} — {login_advice(self.server)}")
            case NotificationAdded(notification=n, live=live, paged=paged):
                # An older page a dashboard scrolled to (through the agent) is
                # no arrival: a tail never pages, and prints none of it.
                if (self.live or live) and not paged:
                    self.notification(n)
            case NotificationUpdated(notification=n):
                if self.live and n in self.printed:
                    self._write(
                        {"event": "updated", "notification": n.to_dict()}, "UPD " + _describe(n)
                    )
            case NotificationRemoved(notification_id=nid):
                if self.live:
                    self._write({"event": "deleted", "id": nid}, f"DEL {one_line(nid)}")
            case UnreadCountChanged(unread_count=count):
                self._write({"event": "unread_count", "unread_count": count}, f"unread: {count}")
            case ServerError(message=message):
                self._error(f"server error: {message}")
            case ActionQueued(action=action, reason=reason):
                self._error(f"{action.words} queued: {reason}")

    def notification(self, n: Notification, *, backlog: bool = False) -> None:
        """Print a notification once per id, ever (``backlog``: one of the ``-n``
        newest that existed at start, labelled so, not NEW)."""
        if n in self.printed:
            return
        self.printed.add(n)
        label = "OLD " if backlog else "NEW "
        obj: dict[str, Any] = {"event": "notification", "notification": n.to_dict()}
        if backlog:
            obj["backlog"] = True
        self._write(obj, label + _describe(n))

    def _error(self, message: str) -> None:
        self._write({"event": "error", "message": redact(message)}, "ERR " + one_line(message))

    def _write(self, obj: dict[str, Any], readable: str) -> None:
        if self.as_json:
            line = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
        else:
            text = one_line(redact(readable))
            if self.color:
                label, space, rest = text.partition(" ")
                if label in LABEL_COLOURS:
                    text = f"\x1b[{LABEL_COLOURS[label]}m{label}\x1b[0m{space}{rest}"
            line = f"{datetime.now():%H:%M:%S} {text}"
        self.out.write(line)


def _describe(n: Notification) -> str:
    flag = "" if n.is_read else "* "
    priority = f"[{n.priority}] " if n.priority in ("high", "urgent") else ""
    return f"{flag}{priority}{n.notification_type} — {n.title}: {n.message}"


def catch_up(printer: TailPrinter, newest_first: list[Notification]) -> None:
    """Print what arrived while the face was not told (an agent restarting):
    the rows at or after the newest it knew of, once each."""
    for n in reversed(newest_first):
        printer.notification(n)
