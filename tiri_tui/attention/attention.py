"""Deciding, for each new notification, whether it reaches the person and how.

The rules come first (the first match wins); then quiet hours and do not
disturb (what arrives meanwhile is counted for the catch-up); then whether
the person is looking. Focus is known only from the terminal's reports: until
one arrives the dashboard counts as *not* looked at (a terminal that never
reports focus still alerts, rather than never).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from time import time as time_now

from msgspec import Struct

from tiri_tui.attention.batching import Alert, AlertBatcher
from tiri_tui.attention.do_not_disturb import Away, DoNotDisturb
from tiri_tui.attention.rules import Action, AttentionRules, QuietHours
from tiri_tui.wire.models import Notification


class Treatment(Struct, frozen=True):
    """What the dashboard does with one arrival besides listing it."""

    mark_read: bool = False
    highlight: bool = True
    bell: bool = False


LISTED = Treatment()
MUTED = Treatment(highlight=False)
MARK_READ = Treatment(mark_read=True)
RING = Treatment(bell=True)
#: Quiet hours are minutes wide: the wall clock is read at most this often (a
#: burst of 10,000 arrivals reads it once, not 10,000 times).
QUIET_RECHECK = 1.0


class Attention:
    """Arrivals and focus changes in; treatments and coalesced alerts out."""

    def __init__(
        self,
        rules: AttentionRules,
        *,
        alerts: bool,
        alerts_ring: bool,
        bell_on_urgent: bool,
        local_time: Callable[[], time],
        clock: Callable[[], float],
        batcher: AlertBatcher | None = None,
        wall: Callable[[], float] = time_now,
    ) -> None:
        """``alerts``: a way to alert is on; ``alerts_ring``: that way is the bell
        (a rule's bell would ring twice); ``bell_on_urgent``: the ``bell`` setting."""
        self.rules = rules
        self._alerts, self._alerts_ring = alerts, alerts_ring
        self._bell_on_urgent = bell_on_urgent
        self._local_time, self._clock = local_time, clock
        self._batcher = batcher or AlertBatcher()
        #: From the terminal's focus reports; None until the first one.
        self.focused: bool | None = None
        self._quiet = False
        self._quiet_checked = -QUIET_RECHECK
        #: The quiet hours of the person's preferences on the server (shared
        #: with the phone): in force when config.toml sets none.
        self.server_quiet_hours: QuietHours | None = None
        #: Do not disturb as every face on the machine shares it (None: off).
        self.do_not_disturb: DoNotDisturb | None = None
        self._wall = wall
        self._silenced = False

    def use_server_quiet_hours(self, hours: QuietHours | None) -> None:
        """The server's quiet hours changed (read at start, or again later)."""
        self.server_quiet_hours = hours
        self._quiet_checked = -QUIET_RECHECK  # judged afresh at the next arrival

    @property
    def silenced(self) -> bool:
        """Do not disturb is on (as last checked: :meth:`check_do_not_disturb`)."""
        return self._silenced

    def use_do_not_disturb(self, state: DoNotDisturb | None) -> DoNotDisturb | None:
        """The shared state changed (this face, another, or a script): the
        span that just ended, if that ended it (see :meth:`check_do_not_disturb`)."""
        was = self.do_not_disturb if self._silenced else None
        self.do_not_disturb = state
        return self._ended(was)

    def _still_on(self) -> bool:
        state = self.do_not_disturb
        return state is not None and state.active(self._wall())

    def check_do_not_disturb(self) -> DoNotDisturb | None:
        """Whether it is still on (its time may have run out): the span that
        has just ended, once (its end: when it ran out, or now if turned off),
        for the catch-up to say what came within it."""
        return self._ended(self.do_not_disturb if self._silenced else None)

    def _ended(self, was: DoNotDisturb | None) -> DoNotDisturb | None:
        if self._still_on():
            self._silenced = True
            return None
        ended, self._silenced = self._silenced, False
        if not ended or was is None:
            return None
        now = self._wall()
        end = now if was.until is None else min(was.until, now)
        return DoNotDisturb(was.since, end)

    def worth_telling(self, n: Notification) -> bool:
        """Whether a catch-up counts ``n`` (a rule that mutes it or reads it: no)."""
        return not self.rules.rules or self.rules.action_for(n) not in (Action.READ, Action.MUTE)

    def catch_up(self, away: Away) -> Alert | None:
        """The one alert that says what came while it was on (None: nothing
        came, or this face raises no alerts)."""
        if not self._alerts or away.newest is None:
            return None
        return Alert(away.new, away.newest, text=away.line())

    @property
    def quiet_hours(self) -> QuietHours | None:
        """The quiet hours in force: config.toml's, else the server's."""
        return self.rules.quiet_hours or self.server_quiet_hours

    def focus_changed(self, focused: bool) -> None:
        """The terminal reported focus: an alert still settling is dropped once
        the person looks (unless a rule insisted on it)."""
        self.focused = focused
        if focused:
            self._batcher.drop_unless_insistent()

    @property
    def quiet(self) -> bool:
        """Inside the quiet hours now (read from the wall clock once a second at most)."""
        hours = self.quiet_hours
        if hours is None:
            return False
        now = self._clock()
        if now - self._quiet_checked >= QUIET_RECHECK:
            self._quiet, self._quiet_checked = hours.contains(self._local_time()), now
        return self._quiet

    def arrived(self, n: Notification) -> Treatment:
        """``n`` is new to the person (live, or found by a gap fill; unread)."""
        action = self.rules.action_for(n) if self.rules.rules else None
        # Its end is on the wall clock (a laptop may have slept past it); the
        # face's next look says the catch-up.
        silenced = self._silenced and self._still_on()
        if action is None or action is Action.RUN:  # the agent runs it; alerts as ever
            quiet = silenced or self.quiet
            if self._alerts and not quiet and self.focused is not True:
                self._batcher.add(n, self._clock())
            ring = self._bell_on_urgent and n.priority == "urgent" and not quiet
            return RING if ring else LISTED
        if action is Action.READ:
            return MARK_READ
        if action is Action.MUTE:
            return MUTED
        if self._alerts:
            self._batcher.add(n, self._clock(), insistent=True)
        return LISTED if self._alerts and self._alerts_ring else RING

    @property
    def due(self) -> float | None:
        """When (on ``clock``) an alert is due: call :meth:`take` then."""
        return self._batcher.due

    def take(self) -> Alert | None:
        """The coalesced alert, if one is due now."""
        return self._batcher.take(self._clock())
