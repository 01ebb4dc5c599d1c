"""Several arrivals, one alert: coalescing and a rate limit, on a clock passed in.

The first arrival after a quiet spell is alerted after a short settle (a gap
fill or a burst lands in the same alert); one follow-up may come ``SPACING``
after it. While news keeps coming, the rest of the minute's budget
(``PER_MINUTE``) is spread evenly: one alert per ``window`` (about 15 s),
counting what arrived in it — never five quick alerts and then most of a
minute of silence. A burst of 2,000 gives a handful of alerts, each counting
what it stands for.
"""

from __future__ import annotations

from collections import deque

from msgspec import Struct

from tiri_tui.attention.sequences import BODY_WIDTH
from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import bare

#: What lands within this long of the first arrival is one alert.
SETTLE = 0.5
#: The first follow-up of a minute waits this long; what arrives meanwhile joins it.
SPACING = 2.0
PER_MINUTE = 5
#: The parts of an alert's body are cut to these before they are joined, so
#: that a long title cannot push the sender and the message out of it.
TITLE_PART = 80
SENDER_PART = 40


def describe(n: Notification) -> str:
    """``<title> — <sender>: <start of the message>`` (``— <message>`` or
    ``— from <sender>`` when one is missing), every part made inert and cut."""
    title = bare(n.title, TITLE_PART)
    sender = bare(n.created_by_name or "", SENDER_PART)
    message = bare(n.message, BODY_WIDTH)
    if sender and message:
        return f"{title} — {sender}: {message}"
    if message:
        return f"{title} — {message}"
    return f"{title} — from {sender}" if sender else title


class Alert(Struct, frozen=True):
    """One desktop alert: how many notifications it stands for and the newest of them."""

    count: int
    newest: Notification
    #: A rule asked for it (``action = "alert"``): the bell rings with it.
    insistent: bool = False
    #: Words of our own that stand for it (do not disturb's catch-up).
    text: str | None = None

    @property
    def title(self) -> str:
        if self.text is None and self.newest.priority == "urgent":
            return "Tiri: urgent"
        return "Tiri"

    @property
    def body(self) -> str:
        """``3 new notifications — <the newest described>``, or the one described,
        cut to ``BODY_WIDTH`` (the sequence builders keep ``;`` out of OSC 777's fields)."""
        if self.text is not None:
            return bare(self.text, BODY_WIDTH)
        if self.count == 1:
            return bare(describe(self.newest), BODY_WIDTH)
        return bare(f"{self.count:,} new notifications — {describe(self.newest)}", BODY_WIDTH)


class AlertBatcher:
    """Arrivals in (``add``), alerts out (``take`` when ``due``)."""

    def __init__(
        self, *, settle: float = SETTLE, spacing: float = SPACING, per_minute: int = PER_MINUTE
    ) -> None:
        self._settle, self._spacing, self._per_minute = settle, spacing, per_minute
        #: After the first follow-up, the minute's other alerts this far apart:
        #: with the follow-up they fill the minute, so the budget never runs out
        #: while news keeps coming (14.5 s by default).
        self._window = (60 - spacing) / max(1, per_minute - 1)
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
            gap = self._spacing if len(self._sent) == 1 else self._window
            wanted = max(wanted, self._sent[-1] + gap)
        if len(self._sent) >= self._per_minute:
            wanted = max(wanted, self._sent[-self._per_minute] + 60)
        return wanted
