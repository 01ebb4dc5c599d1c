"""Attention's pure parts: sequences from hostile text, the terminal table,
rules and quiet hours, coalescing and the rate limit, focus and the decisions."""

from __future__ import annotations

import base64
import itertools
import re
import sys
from datetime import time, timedelta
from pathlib import Path

import msgspec
import pytest

from tests.support.fakes import NOW, sample
from tests.support.waiting import wait_for
from tiri_tui.attention.attention import Attention
from tiri_tui.attention.batching import AlertBatcher
from tiri_tui.attention.delivery import AlertsUnavailable, DesktopAlerts, TerminalAlerts
from tiri_tui.attention.modes import TERMINALS, AlertMode, pick_mode, terminal_table
from tiri_tui.attention.rules import Action, AttentionRules, QuietHours, Rule
from tiri_tui.attention.sequences import BODY_WIDTH, osc9, osc99, osc777, tmux_passthrough
from tiri_tui.settings.config import ConfigError, load_settings

HOSTILE = "Hi\x1b]52;c;ZXZpbA==\x07\x1b\\ there; more\x9c\x9b2J\nline two\x00 \u202eevil\u202c [b]x"
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
README = Path(__file__).resolve().parents[2] / "README.md"


def notification(title: str = "Hello", **fields: object):
    return msgspec.structs.replace(sample(1)[0], title=title, is_read=False, **fields)


# -- sequences ---------------------------------------------------------------------------------
def test_each_sequence_has_its_exact_form():
    assert osc9("Tiri", "Volunteer found") == "\x1b]9;Tiri: Volunteer found\x07"
    assert osc777("Tiri", "Volunteer found") == "\x1b]777;notify;Tiri;Volunteer found\x07"
    kitty = osc99("Tiri", "Volunteer found")
    first, second = re.fullmatch(
        r"(\x1b\]99;[^\x1b]*\x1b\\)(\x1b\]99;[^\x1b]*\x1b\\)", kitty
    ).groups()
    ident = re.search(r"i=(\w+)", first).group(1)
    assert first == f"\x1b]99;i={ident}:d=0:e=1;{base64.b64encode(b'Tiri').decode()}\x1b\\"
    assert (
        second
        == f"\x1b]99;i={ident}:d=1:e=1:p=body;{base64.b64encode(b'Volunteer found').decode()}\x1b\\"
    )


@pytest.mark.parametrize("build", [osc9, osc777, osc99])
def test_hostile_text_cannot_end_the_sequence_or_start_another(build):
    sequence = build(HOSTILE, HOSTILE)
    opener_length = len("\x1b]99;") if build is osc99 else len("\x1b]9;")
    if build is osc99:
        payloads = re.findall(r";([A-Za-z0-9+/=]*)\x1b\\", sequence)
        texts = [base64.b64decode(p).decode() for p in payloads]
        assert len(texts) == 2 and sequence.count("\x1b") == 4  # two openers, two STs
    else:
        inside = sequence[opener_length:-1]
        assert sequence.endswith("\x07") and sequence.count("\x07") == 1
        texts = [inside]
    for text in texts:
        assert not CONTROLS.search(text), repr(text)
        assert "Hi" in text and "line two" in text
    if build is osc777:
        fields = sequence[len("\x1b]777;") : -1].split(";")
        assert len(fields) == 3 and fields[0] == "notify", fields  # ';' cannot add one
        assert fields[2] == "Hi]52,c,ZXZpbA==\\ there, more2J line two evil [b]x"


def test_long_text_is_cut():
    assert len(osc9("Tiri", "x" * 5000)) < 300


def test_tmux_passthrough_doubles_every_escape_and_ends_with_st():
    assert tmux_passthrough("\x1b]9;hi\x07") == "\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\"
    kitty = osc99("a", "b")
    wrapped = tmux_passthrough(kitty)
    assert wrapped.startswith("\x1bPtmux;") and wrapped.endswith("\x1b\\")
    assert wrapped[len("\x1bPtmux;") : -2].replace("\x1b\x1b", "").count("\x1b") == 0


def test_terminal_alerts_wrap_in_tmux_and_the_bell_is_never_wrapped():
    written: list[str] = []
    alert = AlertBatcher(settle=0)
    alert.add(notification("Hi"), 0.0)
    one = alert.take(0.0)
    TerminalAlerts(AlertMode.OSC9, written.append, in_tmux=True).send(one)
    TerminalAlerts(AlertMode.BELL, written.append, in_tmux=True).send(one)
    assert written == [
        "\x1bPtmux;\x1b\x1b]9;Tiri: Hi — John: John accepted your request at the food bank"
        "\x07\x1b\\",
        "\x07",
    ]


# -- desktop-notifier -----------------------------------------------------------------------------
class FakeNotifier:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    async def send(self, **fields: str) -> None:
        self.sent.append(fields)


async def test_desktop_alerts_go_through_the_library_with_inert_text():
    notifier = FakeNotifier()
    batcher = AlertBatcher(settle=0)
    batcher.add(notification(HOSTILE + " <a href='x'>&amp;</a>"), 0.0)
    DesktopAlerts(notifier).send(batcher.take(0.0))
    await wait_for(lambda: notifier.sent, what="the library's send")
    [sent] = notifier.sent
    assert sent["title"] == "Tiri"
    assert not CONTROLS.search(sent["message"]) and not re.search("[<>&]", sent["message"])


def test_desktop_alerts_without_the_extra_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "desktop_notifier", None)
    with pytest.raises(AlertsUnavailable, match=r"pip install 'tiri-tui\[desktop\]'"):
        DesktopAlerts.create()


# -- auto -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "picked"),
    [
        ({"KITTY_WINDOW_ID": "3", "TERM": "xterm-kitty"}, AlertMode.OSC99),
        ({"TERM_PROGRAM": "iTerm.app"}, AlertMode.OSC9),
        ({"TERM_PROGRAM": "tmux", "LC_TERMINAL": "iTerm2"}, AlertMode.OSC9),
        ({"TERM_PROGRAM": "WezTerm"}, AlertMode.OSC9),
        ({"TERM": "xterm-ghostty"}, AlertMode.OSC9),
        ({"WT_SESSION": "x"}, AlertMode.OSC9),
        ({"TERM": "foot"}, AlertMode.OSC777),
        ({"TERM": "rxvt-unicode-256color"}, AlertMode.OSC777),
        ({"VTE_VERSION": "7600", "TERM": "xterm-256color"}, AlertMode.OSC777),
        ({"TERM": "xterm-256color"}, AlertMode.BELL),
        ({}, AlertMode.BELL),
    ],
)
def test_auto_picks_from_the_environment(env, picked):
    assert pick_mode(AlertMode.AUTO, env) is picked
    assert pick_mode(AlertMode.OSC777, env) is AlertMode.OSC777  # a choice is kept


def test_the_readme_table_is_the_one_auto_uses():
    assert terminal_table() in README.read_text("utf-8")
    assert len(TERMINALS) >= 8


# -- rules and quiet hours ------------------------------------------------------------------------
def settings_from(tmp_path: Path, config: str):
    (tmp_path / "config").mkdir(parents=True, exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text(config)
    return load_settings(environ={"TIRI_HOME": str(tmp_path)})


RULES = """\
server = "http://127.0.0.1:8765"
quiet_hours = "22:00-07:00"

[[rules]]
types = ["welcome_email", "system_update"]
action = "read"

[[rules]]
types = "new_message"
action = "mute"

[[rules]]
priority = "urgent"
action = "alert"
"""


def test_rules_are_read_in_order_and_the_first_match_wins(tmp_path):
    rules = settings_from(tmp_path, RULES).attention
    assert [r.line for r in rules.rules] == [4, 8, 12]
    assert rules.quiet_hours == QuietHours(time(22), time(7))
    assert (
        rules.action_for(notification(notification_type="welcome_email", priority="urgent"))
        is Action.READ
    )
    assert rules.action_for(notification(notification_type="new_message")) is Action.MUTE
    assert (
        rules.action_for(notification(notification_type="request_accepted", priority="urgent"))
        is Action.ALERT
    )
    assert (
        rules.action_for(notification(notification_type="request_accepted", priority="normal"))
        is None
    )
    described = rules.describe()
    assert described[0] == "quiet hours: 22:00-07:00"
    assert described[1] == "rule 1: type system_update or welcome_email → read  (line 4)"


@pytest.mark.parametrize(
    ("rule", "line", "words"),
    [
        (
            'types = ["new_message"]\naction = "mutee"',
            5,
            "'action' must be read, mute, alert or run, got 'mutee'",
        ),
        ('types = ["new_message"]\naction = "mute"\ncolour = "red"', 6, "unknown key 'colour'"),
        (
            'priority = "critical"\naction = "alert"',
            4,
            "'priority' must be one of low, normal, high, urgent",
        ),
        ('types = ["new_message"]', 3, "needs an 'action'"),
        ('action = "mute"', 4, "needs 'types' and/or 'priority'"),
        ('types = []\naction = "mute"', 4, "non-empty list"),
        ('types = ["New Message!"]\naction = "mute"', 4, "names like"),
    ],
)
def test_a_bad_rule_is_an_error_naming_its_line(tmp_path, rule, line, words):
    config = f'server = "http://127.0.0.1:8765"\n\n[[rules]]\n{rule}\n'
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, config)
    message = str(caught.value)
    assert f"config.toml, line {line}: rule 1: " in message and words in message, message


def test_the_second_rule_is_named_by_its_own_line(tmp_path):
    config = (
        '[[rules]]\ntypes = ["a"]\naction = "mute"\n\n[[rules]]\ntypes = ["b"]\naction = "loud"\n'
    )
    with pytest.raises(ConfigError, match=r"line 7: rule 2: 'action'"):
        settings_from(tmp_path, config)


@pytest.mark.parametrize("span", ["22-07", "25:00-07:00", "07:00-07:00", "22:00 to 07:00", 2200])
def test_bad_quiet_hours_are_an_error(tmp_path, span):
    value = span if isinstance(span, int) else f'"{span}"'
    with pytest.raises(ConfigError, match="quiet_hours"):
        settings_from(tmp_path, f"quiet_hours = {value}\n")


def test_quiet_hours_may_cross_midnight():
    night = QuietHours(time(22), time(7))
    assert night.contains(time(23, 30)) and night.contains(time(0)) and night.contains(time(6, 59))
    assert not night.contains(time(7)) and not night.contains(time(12))
    lunch = QuietHours(time(12), time(13))
    assert lunch.contains(time(12, 30)) and not lunch.contains(time(13))


def test_desktop_alerts_setting_from_file_environment_and_flag(tmp_path):
    assert settings_from(tmp_path, 'desktop_alerts = "osc777"\n').desktop_alerts is AlertMode.OSC777
    env = {"TIRI_HOME": str(tmp_path), "TIRI_DESKTOP_ALERTS": "bell"}
    assert load_settings(environ=env).desktop_alerts is AlertMode.BELL
    assert load_settings(environ=env, alerts="off").desktop_alerts is AlertMode.OFF
    with pytest.raises(ConfigError, match="desktop_alerts must be one of"):
        settings_from(tmp_path, 'desktop_alerts = "loud"\n')


# -- coalescing and the rate limit -------------------------------------------------------------------
def drain(batcher: AlertBatcher, until: float, step: float = 0.05) -> list:
    alerts, now = [], 0.0
    while now <= until:
        if (alert := batcher.take(now)) is not None:
            alerts.append((now, alert))
        now = round(now + step, 6)
    return alerts


def test_arrivals_within_the_settle_are_one_alert_naming_the_newest():
    batcher = AlertBatcher()
    for k in range(3):
        batcher.add(notification(f"n{k}", created_at=NOW + timedelta(seconds=k)), 0.1 * k)
    [(at, alert)] = drain(batcher, 5)
    assert at == pytest.approx(0.5)
    assert alert.count == 3
    assert (
        alert.body == "3 new notifications — n2 — John: John accepted your request at the food bank"
    )


def test_one_arrival_alone_is_its_title():
    batcher = AlertBatcher()
    batcher.add(notification("Volunteer found"), 0.0)
    [(_, alert)] = drain(batcher, 2)
    assert alert.count == 1 and alert.title == "Tiri"
    assert alert.body == "Volunteer found — John: John accepted your request at the food bank"


def test_a_burst_of_2000_gives_a_handful_of_alerts_that_count_every_one():
    batcher = AlertBatcher()
    alerts = []
    for k in range(2000):
        now = k * 0.01  # 2,000 over 20 seconds
        batcher.add(notification(f"n{k}"), now)
        if (alert := batcher.take(now)) is not None:
            alerts.append(alert)
    now = 20.0
    while batcher.due is not None:
        now = max(now, batcher.due)
        alerts.append(batcher.take(now))
    assert 2 <= len(alerts) <= 6
    assert sum(a.count for a in alerts) == 2000


def test_no_more_than_five_alerts_a_minute_however_they_are_spread():
    batcher = AlertBatcher()
    sent = []
    for second in range(0, 60, 3):  # one arrival every 3 s for a minute
        batcher.add(notification(f"at {second}"), float(second))
        for now in (second + 0.5, second + 1.0, second + 2.0):
            if batcher.take(now) is not None:
                sent.append(now)
    assert len(sent) == 5 and sent[-1] - sent[0] < 60


def stream(batcher: AlertBatcher, every: float, until: float, step: float = 0.05):
    """Arrivals every ``every`` seconds from 0 until ``until`` on a fake clock,
    each alert taken when it falls due (as the dashboard's timer does): the
    number of arrivals, and (time, alert) for each alert."""
    arrivals, alerts, now, next_arrival = 0, [], 0.0, 0.0
    while now < until or batcher.due is not None:
        while next_arrival <= now and next_arrival < until:
            batcher.add(notification(f"n{arrivals}"), next_arrival)
            arrivals, next_arrival = arrivals + 1, round(next_arrival + every, 6)
        if (alert := batcher.take(now)) is not None:
            alerts.append((now, alert))
        now = round(now + step, 6)
    return arrivals, alerts


@pytest.mark.parametrize("every", [0.5, 2.0, 5.0, 11.0])
def test_a_steady_stream_is_alerted_window_by_window_never_long_silent(every):
    """2/s (or one every few seconds) for three minutes: never five fast alerts
    then most of a minute of silence; every arrival counted once; still at most
    five alerts in any minute."""
    arrivals, alerts = stream(AlertBatcher(), every, until=180.0)
    assert sum(alert.count for _, alert in alerts) == arrivals
    times = [at for at, _ in alerts]
    moments = [0.0, *times]  # the first arrival, then each alert
    silences = [later - earlier for earlier, later in itertools.pairwise(moments) if earlier < 180]
    assert max(silences) <= 15.0, times
    assert all(sum(t - 60 < other <= t for other in times) <= 5 for t in times), times


def test_an_alert_names_the_sender_and_the_start_of_the_message():
    batcher = AlertBatcher(settle=0)
    batcher.add(
        notification("Volunteer found", created_by_name="Ana", message="I can help on Sat"), 0.0
    )
    assert batcher.take(0.0).body == "Volunteer found — Ana: I can help on Sat"
    batcher.add(notification("No sender", created_by_name=None, message="Just this"), 20.0)
    assert batcher.take(20.0).body == "No sender — Just this"
    batcher.add(notification("Only who", created_by_name="Bo", message=""), 40.0)
    assert batcher.take(40.0).body == "Only who — from Bo"
    for k in range(2):
        batcher.add(notification(f"n{k}", created_at=NOW + timedelta(seconds=k)), 60.0)
    assert batcher.take(60.0).body == (
        "2 new notifications — n1 — John: John accepted your request at the food bank"
    )


def test_a_long_title_and_message_leave_room_for_the_sender_and_the_message():
    batcher = AlertBatcher(settle=0)
    batcher.add(notification("T" * 500, created_by_name="S" * 500, message="M" * 5000), 0.0)
    body = batcher.take(0.0).body
    assert "T" * 40 in body and "S" * 20 in body and "M" * 40 in body
    assert len(body) <= BODY_WIDTH


@pytest.mark.parametrize("build", [osc9, osc777, osc99])
def test_a_hostile_sender_and_message_are_as_inert_as_the_title(build):
    batcher = AlertBatcher(settle=0)
    batcher.add(notification("Hi", created_by_name=HOSTILE, message=HOSTILE), 0.0)
    alert = batcher.take(0.0)
    sequence = build(alert.title, alert.body)
    if build is osc99:
        payloads = re.findall(r";([A-Za-z0-9+/=]*)\x1b\\", sequence)
        assert len(payloads) == 2 and sequence.count("\x1b") == 4
        texts = [base64.b64decode(p).decode() for p in payloads]
    else:
        assert sequence.endswith("\x07") and sequence.count("\x07") == 1
        texts = [sequence[2:-1]]
    for text in texts:
        assert not CONTROLS.search(text.removeprefix("]")), repr(text)
    if build is osc777:
        fields = sequence[len("\x1b]777;") : -1].split(";")
        assert len(fields) == 3 and "there, more" in fields[2], fields


def test_focus_drops_what_settles_unless_a_rule_insisted():
    batcher = AlertBatcher()
    batcher.add(notification("a"), 0.0)
    batcher.drop_unless_insistent()
    assert batcher.due is None and batcher.take(10) is None
    batcher.add(notification("b"), 1.0, insistent=True)
    batcher.drop_unless_insistent()
    assert batcher.take(10).insistent


# -- decisions ---------------------------------------------------------------------------------
def attention(rules: AttentionRules | None = None, *, at: time = time(12), **kw) -> Attention:
    options = {"alerts": True, "alerts_ring": False, "bell_on_urgent": False} | kw
    return Attention(rules or AttentionRules(), local_time=lambda: at, clock=lambda: 0.0, **options)


def test_unfocused_or_never_reported_alerts_focused_does_not():
    never = attention()
    never.arrived(notification())
    assert never.due is not None  # no report yet: not looking
    focused = attention()
    focused.focus_changed(True)
    focused.arrived(notification())
    assert focused.due is None
    focused.focus_changed(False)
    focused.arrived(notification())
    assert focused.due is not None


def test_quiet_hours_silence_alerts_and_bell_but_keep_the_highlight():
    quiet = AttentionRules(quiet_hours=QuietHours(time(22), time(7)))
    at_night = attention(quiet, at=time(23), bell_on_urgent=True)
    treatment = at_night.arrived(notification(priority="urgent"))
    assert at_night.due is None and not treatment.bell and treatment.highlight
    by_day = attention(quiet, at=time(12), bell_on_urgent=True)
    assert by_day.arrived(notification(priority="urgent")).bell and by_day.due is not None


def test_each_rule_action():
    rules = AttentionRules(
        (
            Rule(frozenset({"welcome_email"}), None, Action.READ),
            Rule(frozenset({"new_message"}), None, Action.MUTE),
            Rule(None, "urgent", Action.ALERT),
        ),
        QuietHours(time(0), time(23, 59)),
    )
    decide = attention(rules, at=time(12))
    decide.focus_changed(True)
    read = decide.arrived(notification(notification_type="welcome_email"))
    assert read.mark_read and decide.due is None
    muted = decide.arrived(notification(notification_type="new_message"))
    assert not muted.highlight and not muted.bell and decide.due is None
    insistent = decide.arrived(
        notification(notification_type="request_accepted", priority="urgent")
    )
    assert insistent.bell and decide.due is not None  # focused, in quiet hours: all the same
    ringing = attention(rules, alerts_ring=True)  # the alert is the bell: it rings once
    assert not ringing.arrived(notification(priority="urgent")).bell


def test_quiet_hours_follow_the_wall_clock_read_once_a_second_at_most():
    wall, reads, monotonic = [time(21, 59, 59)], [0], [0.0]

    def local_time() -> time:
        reads[0] += 1
        return wall[0]

    night = AttentionRules(quiet_hours=QuietHours(time(22), time(7)))
    decide = Attention(
        night,
        alerts=True,
        alerts_ring=False,
        bell_on_urgent=False,
        local_time=local_time,
        clock=lambda: monotonic[0],
    )
    for _ in range(1000):
        decide.arrived(notification())
    assert reads[0] == 1 and not decide.quiet
    wall[0], monotonic[0] = time(22), 1.0
    assert decide.quiet and reads[0] == 2
