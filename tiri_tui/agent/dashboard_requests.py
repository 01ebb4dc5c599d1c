"""What the agent answers a dashboard that attaches: pages of what it holds,
marks it can take back, counts under a view's filters.

A dashboard mirrors the agent's list (see :mod:`tiri_tui.agent.attached`):
it shows the agent's newest rows at once and asks for older ones as the person
scrolls (``older``); the agent pages its own list on from the server when it
has no more. A mark or delete made with an undo window is kept here under a
key, so the dashboard's undo takes back exactly that intent (``undo``).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any

import msgspec

from tiri_tui.agent.answers import RequestError
from tiri_tui.sync.controller import Intent, NotificationController
from tiri_tui.sync.rules import Filters
from tiri_tui.wire.models import Notification, WireError, parse_timestamp

#: Intents kept for an undo (a dashboard offers one for seconds: far fewer are asked).
UNDO_MEMORY = 1_000
#: The most rows one ``older`` answer carries.
OLDER_LIMIT = 1_000


class UndoBook:
    """Intents made with an undo window, each with its row as it was (None: a
    row the agent does not hold), by key."""

    def __init__(self) -> None:
        self._keys = itertools.count(1)
        self._kept: OrderedDict[int, tuple[Intent, Notification | None]] = OrderedDict()

    def keep(self, intent: Intent | None, before: Notification | None) -> int | None:
        """The key of ``intent`` (None: nothing to take back)."""
        if intent is None:
            return None
        key = next(self._keys)
        self._kept[key] = (intent, before)
        while len(self._kept) > UNDO_MEMORY:
            self._kept.popitem(last=False)
        return key

    def undo(self, controller: NotificationController, keys: object) -> dict[str, Any]:
        """Take back the intents of ``keys``: what the controller's undo did,
        and the ids of deletes it was too late for."""
        if not isinstance(keys, list) or not all(isinstance(k, int) for k in keys):
            raise RequestError("'intents' must be a list of keys")
        found = [kept for key in keys if (kept := self._kept.pop(key, None)) is not None]
        done = [(intent, before) for intent, before in found if before is not None]
        undone = controller.undo(done)
        # A row the agent does not hold: its intent only, taken back if it has not left.
        unheld = [intent for intent, before in found if before is None]
        taken = sum(controller.take_back_unheld(intent) for intent in unheld)
        too_late = [
            before.id
            for intent, before in done
            if intent.action.value == "delete" and before.id not in controller.held
        ]
        return {
            "taken_back": undone.taken_back + taken,
            "sent_back": undone.sent_back,
            "too_late": too_late,
            "forgotten": len(keys) - len(found),
        }


def older(controller: NotificationController, message: dict[str, Any]) -> tuple[int, int, bool]:
    """Where the rows older than the face's oldest begin in what the agent
    holds, how many to send, and whether more lie beyond (held, or on the server)."""
    held = controller.held
    nid, before = message.get("notification"), message.get("before")
    if not isinstance(nid, str) or not isinstance(before, str):
        raise RequestError("'notification' and 'before' must be the oldest row's id and time")
    try:
        moment = parse_timestamp(before, "before").timestamp()
    except WireError as exc:
        raise RequestError(str(exc)) from None
    limit = message.get("limit", 0)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise RequestError("'limit' must be a whole number above 0")
    position = held.position(nid)
    # Gone meanwhile: from the first row created before it.
    start = position + 1 if position is not None else held.rows_since(moment)
    count = max(0, min(limit, OLDER_LIMIT, len(held) - start))
    return start, count, start + count < len(held) or controller.has_more


def filters_of(message: dict[str, Any]) -> Filters:
    try:
        return msgspec.convert(message.get("filters", {}), Filters)
    except msgspec.ValidationError as exc:
        raise RequestError(f"'filters': {exc}") from None
