"""Do not disturb's decisions with fake clocks: what is typed, the time left,
silence and what gets through, and the catch-up said once when it ends."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import msgspec
import pytest

from tests.support.fakes import sample
from tiri_tui.attention.attention import Attention
from tiri_tui.attention.do_not_disturb import (
    DoNotDisturb,
    away_from_held,
    duration,
    in_words,
    next_time_of_day,
)
from tiri_tui.attention.rules import Action, AttentionRules, Rule
from tiri_tui.sync.inbox import Inbox

LONDON = ZoneInfo("Europe/London")


def test_durations_as_people_type_them():
    assert duration("30m") == 1800 and duration("1h") == 3600 and duration("45") == 2700
    assert duration("1h30m") == 5400 and duration("2d") == 172800 and duration("1H 5M") == 3900
    for bad in ("", "soon", "0m", "8d", "1x"):
        with pytest.raises(ValueError):
            duration(bad)


def test_the_time_left_counts_a_minute_begun():
    assert in_words(3599) == "1h" and in_words(3600) == "1h" and in_words(3661) == "1h 02m"
    assert in_words(30) == "1m" and in_words(0) == "0m" and in_words(90000) == "1d 1h"
    assert DoNotDisturb(0.0, None).left(5.0) == "until turned off"


def test_a_time_of_day_is_today_if_still_to_come_else_tomorrow():
    now = datetime(2026, 12, 3, 15, 0, tzinfo=LONDON)
    assert next_time_of_day("18:00", now) == datetime(2026, 12, 3, 18, 0, tzinfo=LONDON)
    assert next_time_of_day("8:30", now) == datetime(2026, 12, 4, 8, 30, tzinfo=LONDON)
    assert next_time_of_day("15:00", now).day == 4  # now is not "to come"
    with pytest.raises(ValueError):
        next_time_of_day("25:00", now)


def test_a_time_of_day_across_the_change_to_summer_time_keeps_the_wall_clock():
    # The clocks go forward at 01:00 on 29 March 2026: 18:00 the next day is
    # 21 hours away, not 22, and still 18:00 on the clock.
    now = datetime(2026, 3, 28, 20, 0, tzinfo=LONDON)
    until = next_time_of_day("18:00", now)
    assert (until.hour, until.minute, until.utcoffset().total_seconds()) == (18, 0, 3600)
    assert until.timestamp() - now.timestamp() == 21 * 3600
    autumn = datetime(2026, 10, 24, 20, 0, tzinfo=LONDON)  # back an hour on the 25th
    assert next_time_of_day("18:00", autumn).timestamp() - autumn.timestamp() == 23 * 3600


class Clocks:
    def __init__(self) -> None:
        self.wall = 1_000_000.0
        self.mono = 0.0


def attention(clocks: Clocks, rules: AttentionRules | None = None) -> Attention:
    return Attention(
        rules or AttentionRules(),
        alerts=True,
        alerts_ring=False,
        bell_on_urgent=True,
        local_time=lambda: time(12),
        clock=lambda: clocks.mono,
        wall=lambda: clocks.wall,
    )


def arrival(title: str, priority: str = "normal", kind: str = "new_message"):
    return msgspec.structs.replace(
        sample(1)[0], title=title, priority=priority, notification_type=kind, is_read=False
    )


def test_silence_holds_alerts_and_the_bell_and_an_alert_rule_gets_through():
    clocks = Clocks()
    loud = AttentionRules(rules=(Rule(frozenset({"approval_request"}), None, Action.ALERT),))
    decide = attention(clocks, loud)
    assert decide.use_do_not_disturb(DoNotDisturb(clocks.wall, clocks.wall + 3600)) is None
    assert decide.silenced
    assert not decide.arrived(arrival("quiet", "urgent")).bell  # no bell, urgent or not
    assert decide.due is None  # no alert queued
    decide.arrived(arrival("let me in", kind="approval_request"))
    assert decide.due is not None  # the rule's alert all the same


class Scene:
    """Arrivals held as a list holds them, at the fake wall clock's time, and
    one face's attention deciding on each."""

    def __init__(self, rules: AttentionRules | None = None) -> None:
        self.clocks = Clocks()
        self.decide = attention(self.clocks, rules)
        self.held = Inbox()

    def arrive(self, title: str, priority: str = "normal", kind: str = "new_message"):
        self.clocks.wall += 1
        n = msgspec.structs.replace(
            arrival(title, priority, kind),
            id=f"row-{len(self.held)}",
            created_at=datetime.fromtimestamp(self.clocks.wall, UTC),
        )
        self.held.upsert(n)
        return self.decide.arrived(n)

    def away(self, span: DoNotDisturb):
        return away_from_held(self.held, span, self.decide.worth_telling)


def test_the_catch_up_is_told_once_when_its_time_runs_out():
    scene = Scene()
    clocks, decide = scene.clocks, scene.decide
    decide.use_do_not_disturb(DoNotDisturb(clocks.wall, clocks.wall + 60))
    for i in range(3):
        scene.arrive(f"n{i}", "urgent" if i == 0 else "normal")
    clocks.wall += 56
    assert decide.check_do_not_disturb() is None and decide.silenced
    clocks.wall += 2
    ended = decide.check_do_not_disturb()
    assert ended is not None
    away = scene.away(ended)
    assert away.line() == "While you were away: 3 new, 1 urgent"
    alert = decide.catch_up(away)
    assert alert is not None and alert.body == "While you were away: 3 new, 1 urgent"
    assert decide.check_do_not_disturb() is None  # once
    assert not decide.silenced
    scene.arrive("after")
    assert decide.due is not None  # alerts again


def test_turned_off_elsewhere_ends_it_with_the_catch_up_and_muted_ones_are_not_counted():
    muted = AttentionRules(rules=(Rule(frozenset({"welcome_email"}), None, Action.MUTE),))
    scene = Scene(muted)
    clocks, decide = scene.clocks, scene.decide
    decide.use_do_not_disturb(DoNotDisturb(clocks.wall, None))
    scene.arrive("hello", kind="welcome_email")
    clocks.wall += 10**6  # no end of its own: on until turned off
    assert decide.check_do_not_disturb() is None
    ended = decide.use_do_not_disturb(None)
    assert ended is not None and ended.until == clocks.wall  # it ends now
    away = scene.away(ended)
    assert away.line() == "Do not disturb is over: nothing new while you were away"
    assert decide.catch_up(away) is None  # nothing to alert for


def test_after_the_laptop_slept_past_its_end_arrivals_alert_and_the_next_look_says_it():
    scene = Scene()
    clocks, decide = scene.clocks, scene.decide
    decide.use_do_not_disturb(DoNotDisturb(clocks.wall, clocks.wall + 3600))
    scene.arrive("before the sleep")
    clocks.wall += 8 * 3600  # the wall clock moved on; nothing ran meanwhile
    scene.arrive("after waking")
    assert decide.due is not None  # alerted: its end has passed
    ended = decide.check_do_not_disturb()  # the face's next look
    assert ended is not None and ended.since == 1_000_000.0
    assert ended.until == 1_000_000.0 + 3600  # when it ran out, not when it was seen
    assert scene.away(ended).new == 1  # before the sleep; the one after waking came after its end


def test_what_came_is_counted_from_the_list_held_unread_since_it_began():
    held = Inbox()
    rows = sample(5)  # one a minute apart, the newest first
    for i, n in enumerate(rows):
        held.upsert(
            msgspec.structs.replace(n, is_read=i == 1, priority="urgent" if i == 0 else "normal")
        )
    since = rows[3].created_at.timestamp()  # the three newest came after (and the fourth at)
    away = away_from_held(held, DoNotDisturb(since, None), lambda n: True)
    assert (away.new, away.urgent, away.newest.id) == (3, 1, rows[0].id)  # one of four was read
    assert away.line() == "While you were away: 3 new, 1 urgent"
