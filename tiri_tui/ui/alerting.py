"""The dashboard's side of attention: each arrival treated, alerts raised when due.

The decisions are :class:`tiri_tui.attention.attention.Attention`'s; this
applies them: marks read through the controller, rings the bell (at most
once a second), and raises the coalesced alert on a timer. The decider is
built at its first use (an arrival, a focus report, the help screen): its
modules are not on the way to the first painted row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual.timer import Timer

from tiri_tui.wire.models import Notification

if TYPE_CHECKING:
    from tiri_tui.attention.attention import Attention
    from tiri_tui.attention.batching import Alert
    from tiri_tui.attention.delivery import Delivery

#: The bell rings at most once per this many seconds.
BELL_INTERVAL = 1.0

Schedule = Callable[[float, Callable[[], None]], Timer]


class Alerting:
    """Arrivals in; marks, bells and alerts out."""

    def __init__(
        self,
        build: Callable[[], tuple[Attention, Delivery]],
        *,
        ring: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``build``: the decider and the way alerts go out, made at first use."""
        self._build = build
        self._built: tuple[Attention, Delivery] | None = None
        self._ring = ring
        self._clock = clock
        self._last_bell = -BELL_INTERVAL
        self._schedule: Schedule | None = None
        self._timer: Timer | None = None

    @property
    def attention(self) -> Attention:
        return self._parts()[0]

    @property
    def attention_if_built(self) -> Attention | None:
        """The decider if it is made already (the header asks every second,
        from the first frame: it must not build it)."""
        return None if self._built is None else self._built[0]

    def _parts(self) -> tuple[Attention, Delivery]:
        if self._built is None:
            self._built = self._build()
        return self._built

    def start(self, schedule: Schedule) -> None:
        """Timers come from the screen once it is mounted."""
        self._schedule = schedule

    def treat(
        self, arrivals: Iterable[Notification], mark_read: Callable[[str], object]
    ) -> set[str]:
        """Apply the rules to ``arrivals``; returns the ids not to highlight (muted)."""
        muted: set[str] = set()
        bell = False
        for n in arrivals:
            treatment = self.attention.arrived(n)
            if treatment.mark_read:
                mark_read(n.id)
            if not treatment.highlight:
                muted.add(n.id)
            bell = bell or treatment.bell
        if bell and self._clock() - self._last_bell >= BELL_INTERVAL:
            self._last_bell = self._clock()
            self._ring()
        self._arm()
        return muted

    def send_now(self, alert: Alert) -> None:
        """Raise ``alert`` at once (do not disturb's catch-up: not coalesced)."""
        self._parts()[1].send(alert)

    def _arm(self) -> None:
        due = self.attention.due
        if due is None or self._schedule is None or self._timer is not None:
            return
        self._timer = self._schedule(max(0.0, due - self._clock()), self._raise)

    def _raise(self) -> None:
        self._timer = None
        alert = self.attention.take()
        if alert is not None:
            self._parts()[1].send(alert)
        self._arm()  # what arrived meanwhile waits for its own turn
