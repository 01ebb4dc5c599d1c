"""Snoozes: a notification put away until a time, then back as new, on top.

The server has no snooze: they are this machine's, kept on disk
(:mod:`tiri_tui.sync.snooze_store`) and followed by every face. This module
is the pure part: what one snooze is, what the book of them says at a given
moment, and which are due. No clock, no disk: times come as arguments.

A snooze goes through two states. *Snoozed*: the row is left out of the
list until ``until``. *Back*: it came back at ``back_at`` and the list shows
it where a row that arrived then would be (above what is older, below what
came after), until it is unsnoozed or deleted, or :data:`BACK_KEPT` passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from msgspec import Struct

from tiri_tui.wire.models import Notification

#: How long a row that came back keeps its place by its return (after that
#: it sits by its creation again: a month later nobody looks for it there).
BACK_KEPT = 30 * 86400.0


class Snooze(Struct, frozen=True):
    """One notification put away (``notification``: its copy when snoozed, so
    it can come back into a list that no longer holds it)."""

    notification: Notification
    #: When it is due (Unix seconds).
    until: float
    #: When it came back (None: still away).
    back_at: float | None = None

    @property
    def id(self) -> str:
        return self.notification.id

    @property
    def away(self) -> bool:
        return self.back_at is None

    def due(self, now: float) -> bool:
        """Still away, and its time has come."""
        return self.back_at is None and self.until <= now


class SnoozeBook:
    """Every snooze of one account as last read, by notification id (read-only)."""

    def __init__(self, snoozes: Iterable[Snooze] = ()) -> None:
        self._all: dict[str, Snooze] = {s.id: s for s in snoozes}
        #: Away ones, and the ones back (with the moment each came back).
        self.away: Mapping[str, Snooze] = {i: s for i, s in self._all.items() if s.away}
        self.back: Mapping[str, float] = {
            i: s.back_at for i, s in self._all.items() if s.back_at is not None
        }

    def __len__(self) -> int:
        return len(self._all)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnoozeBook) and other._all == self._all

    __hash__ = None  # type: ignore[assignment]

    def get(self, notification_id: str) -> Snooze | None:
        return self._all.get(notification_id)

    def due(self, now: float) -> list[Snooze]:
        """The away ones whose time has come, the earliest first."""
        return sorted((s for s in self.away.values() if s.until <= now), key=lambda s: s.until)

    def next_due(self) -> float | None:
        """When the next one comes back (None: none is away)."""
        return min((s.until for s in self.away.values()), default=None)

    def away_by_due(self) -> list[Snooze]:
        """The away ones, the soonest back first (the snoozed view's order)."""
        return sorted(self.away.values(), key=lambda s: (s.until, s.id))


def badge_words(book: SnoozeBook | None) -> str:
    """The badge's part: ``3 snoozed`` (empty: none away)."""
    count = 0 if book is None else len(book.away)
    return f"{count:,} snoozed" if count else ""
