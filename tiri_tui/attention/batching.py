"""Several arrivals, one alert: coalescing and a rate limit, on a clock passed in.

The first arrival after a quiet spell is alerted after a short settle (a gap
fill or a burst lands in the same alert); later ones wait for the alert
before them to be ``SPACING`` old, and no more than ``PER_MINUTE`` alerts
go out in any minute. A burst of 2,000 gives a handful of alerts, each
counting what it stands for.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tiri_tui.models import Notification

#: What lands within this long of the first arrival is one alert.
SETTLE = 0.5
#: Alerts are at least this far apart; what arrives meanwhile waits and joins.
SPACING = 2.0
PER_MINUTE = 5


@dataclass(frozen=True, slots=True)
class Alert:
    """One desktop alert: how many notifications it stands for and the newest of them."""

    count: int
    newest: Notification
    #: A rule asked for it (``action = "alert"``): the bell rings with it.
    insistent: bool = False

    @property
    def title(self) -> str:
        return "Tiri: urgent" if self.newest.priority == "urgent" else "Tiri"

    @property
    def body(self) -> str:
        """``3 new notifications — <newest title>``, or the one title (raw: the
        sequence builders make it inert)."""
        if self.count == 1:
            return self.newest.title
        return f"{self.count:,} new notifications — {self.newest.title}"


class AlertBatcher:
    """Arrivals in (``add``), alerts out (``take`` when ``due``)."""

    def __init__(
        self, *, settle: float = SETTLE, spacing: float = SPACING, per_minute: int = PER_MINUTE
    ) -> None:
        self._settle, self._spacing, self._per_minute = settle, spacing, per_minute
        self._pending: list[Notification] = []
        self._insistent = False
        self._due: float | None = None
        self._sent: deque[float] = deque()

    def add(self, n: Notification, now: float, *, insistent: bool = False) -> float:
        """Queue ``n``; returns when the alert that will carry it is due."""
        self._pending.append(n)
        self._insistent = self._insistent or insistent
        if self._due is None:
            self._due = self._earliest(now + self._settle)
        return self._due

    @property
    def due(self) -> float | None:
        """When :meth:`take` next has an alert to give (None: nothing waits)."""
        return self._due

    def take(self, now: float) -> Alert | None:
        """The coalesced alert, if it is due at ``now``."""
        if self._due is None or now < self._due or not self._pending:
            return None
        newest = max(self._pending, key=lambda n: n.created_at)
        alert = Alert(len(self._pending), newest, self._insistent)
        self._pending, self._insistent, self._due = [], False, None
        self._sent.append(now)
        return alert

    def drop_unless_insistent(self) -> None:
        """Forget what waits, unless a rule insisted on alerting it."""
        if not self._insistent:
            self._pending, self._due = [], None

    def _earliest(self, wanted: float) -> float:
        """``wanted``, or later if the spacing or the per-minute limit says so."""
        while self._sent and self._sent[0] <= wanted - 60:
            self._sent.popleft()
        if self._sent:
            wanted = max(wanted, self._sent[-1] + self._spacing)
        if len(self._sent) >= self._per_minute:
            wanted = max(wanted, self._sent[-self._per_minute] + 60)
        return wanted
