"""Desktop alerts as a terminal receives them: the dashboard in a pseudo-terminal,
focus reports written to its input, the exact sequences found in its raw output."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta

from tests.support.cli import login, run_cli
from tests.support.pty_dashboard import MESSAGE, SENDER, dashboard, push
from tests.support.terminal import FOCUS_IN, FOCUS_OUT, Terminal
from tests.support.waiting import wait_for
from tiri_tui.server import DEMO_EMAIL

OSC9, BEL = b"\x1b]9;", b"\x07"
#: The help screen's words: once shown, every input written before it was handled.
HELP_SHOWN = b"move down"
HOSTILE_TITLE = (
    "Hi\x1b]52;c;ZXZpbA==\x07\x1b\\ there; more\x9c\x9b2J\nline two\x00 \u202eevil\u202c"
)


async def handled(terminal: Terminal, report: bytes) -> None:
    """Write a focus report and wait until the app has handled it (the key
    after it opens the help screen, which closes again)."""
    start = len(terminal.output)
    terminal.write(report + b"?")
    await terminal.wait_for_output(HELP_SHOWN, start=start)
    terminal.write(b"\x1b")


#: What follows a title in an alert's text.
FROM = f" — {SENDER}: {MESSAGE}"


async def test_blurred_an_arrival_raises_the_exact_osc9_and_focused_none(server, home):
    async with dashboard(server, home, "--alerts", "osc9") as terminal:
        await handled(terminal, FOCUS_IN)
        await push(server, "Seen on screen")
        await terminal.wait_for_output(b"Seen on screen")  # painted in the list
        await handled(terminal, FOCUS_OUT)
        await push(server, "Volunteer found")
        alert = f"\x1b]9;Tiri: Volunteer found{FROM}\x07".encode()
        await terminal.wait_for_output(alert)
        # Alerts go out in order: the focused arrival would have come first.
        assert terminal.sequences(OSC9, BEL) == [alert]


async def test_focus_never_reported_counts_as_not_looking(server, home):
    async with dashboard(server, home, "--alerts", "osc9") as terminal:
        await push(server, "Nobody said where focus is")
        await terminal.wait_for_output(
            f"\x1b]9;Tiri: Nobody said where focus is{FROM}\x07".encode()
        )


async def test_hostile_titles_carry_no_control_into_any_alert_sequence(server, home):
    """ESC, BEL, ST, C1 controls, newlines and ';' cannot end the sequence early
    or add a field: what is inside the OSC is plain text."""
    for mode, opener, terminator in (
        ("osc9", OSC9, BEL),
        ("osc777", b"\x1b]777;notify;", BEL),
    ):
        async with dashboard(server, home, "--alerts", mode) as terminal:
            await handled(terminal, FOCUS_OUT)
            # The sender and the message are someone else's text too.
            await push(server, HOSTILE_TITLE, created_by_name=HOSTILE_TITLE, message=HOSTILE_TITLE)
            await terminal.wait_for_output(opener)
            await wait_for(
                lambda opener=opener, terminator=terminator: terminal.sequences(opener, terminator),
                what=mode,
            )
            [sequence] = terminal.sequences(opener, terminator)
            inside = sequence[len(opener) : -len(terminator)]
            assert not re.search(rb"[\x00-\x1f\x7f]|\xc2[\x80-\x9f]", inside), inside
            assert "\u202e".encode() not in inside
            text = inside.decode()
            assert "Hi" in text and "line two" in text
            if mode == "osc777":
                title, body = text.split(";")  # exactly two fields: ';' became ','
                assert title == "Tiri" and "there, more" in body
            # Nothing else was opened by the title (no clipboard write, no CSI).
            assert b"\x1b]52" not in terminal.output


async def test_inside_tmux_the_alert_is_wrapped_for_passthrough(server, home):
    async with dashboard(
        server, home, "--alerts", "osc9", env={"TMUX": "/tmp/tmux-0/default,1,0"}
    ) as terminal:
        await handled(terminal, FOCUS_OUT)
        await push(server, "Through tmux")
        await terminal.wait_for_output(
            f"\x1bPtmux;\x1b\x1b]9;Tiri: Through tmux{FROM}\x07\x1b\\".encode()
        )


async def test_auto_picks_kittys_osc99_with_base64_payloads(server, home):
    async with dashboard(server, home, env={"KITTY_WINDOW_ID": "1"}) as terminal:
        await handled(terminal, FOCUS_OUT)
        await push(server, "Kitty")
        at = await terminal.wait_for_output(b"\x1b]99;")
        await terminal.wait_for_output(b"p=body")
        # "Tiri" then "Kitty — Ana: …", base64 (e=1): no payload byte can be a control.
        assert b";VGlyaQ==\x1b\\" in terminal.output[at:]
        body = base64.b64encode(f"Kitty{FROM}".encode())
        assert b";" + body + b"\x1b\\" in terminal.output[at:]


def quiet_now() -> str:
    """Quiet hours around the current (UTC, the child's TZ) time."""
    now = datetime.utcnow()
    return f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"


async def test_quiet_hours_and_each_rule_action(server, home):
    """During quiet hours a normal arrival raises nothing; `read` marks its
    type read on arrival (on the server: through the outbox); `mute` is listed
    without an alert; `alert` goes through quiet hours and focus alike."""
    config = f"""
quiet_hours = "{quiet_now()}"

[[rules]]
types = ["welcome_email"]
action = "read"

[[rules]]
types = ["new_message"]
action = "mute"

[[rules]]
priority = "urgent"
action = "alert"
"""
    async with dashboard(
        server, home, "--alerts", "osc9", env={"TZ": "UTC"}, config=config
    ) as terminal:
        await handled(terminal, FOCUS_OUT)
        await push(server, "Quiet, please")
        await push(server, "Welcome aboard", notification_type="welcome_email")
        await push(server, "Muted chat", notification_type="new_message")
        await terminal.wait_for_output(b"Muted chat")  # the last one is listed
        welcome = next(
            n for n in server.user(DEMO_EMAIL).notifications if n["title"] == "Welcome aboard"
        )
        await wait_for(lambda: welcome["is_read"], 10, what="the read rule's mark on the server")
        await handled(terminal, FOCUS_IN)
        await push(server, "Fire!", priority="urgent")
        fire = f"\x1b]9;Tiri: urgent: Fire!{FROM}\x07".encode()
        await terminal.wait_for_output(fire)
        # The quiet, read and muted ones raised nothing (they would have come first),
        # and the insistent one rang the bell too (a BEL outside any OSC).
        assert terminal.sequences(OSC9, BEL) == [fire]
        outside = re.sub(rb"\x1b\][^\x07]*\x07", b"", bytes(terminal.output))
        assert BEL in outside


async def test_what_a_gap_fill_finds_after_a_restart_is_one_alert(server, home):
    async with dashboard(server, home, "--alerts", "osc9") as terminal:
        await handled(terminal, FOCUS_OUT)
        await server.stop()
        for k in range(3):
            await push(server, f"While away {k}")
        await server.start()
        await terminal.wait_for_output(
            f"\x1b]9;Tiri: 3 new notifications — While away 2{FROM}\x07".encode(), timeout=20
        )
        assert len(terminal.sequences(OSC9, BEL)) == 1


def counted(alert: bytes) -> int:
    """How many notifications an OSC 9 alert stands for."""
    many = re.match(rb"\x1b\]9;Tiri: ([\d,]+) new notifications", alert)
    return int(many.group(1).replace(b",", b"")) if many else 1


async def test_a_burst_raises_a_handful_of_alerts_that_count_it(server, home):
    async with dashboard(server, home, "--alerts", "osc9") as terminal:
        await handled(terminal, FOCUS_OUT)
        for k in range(200):
            await push(server, f"Burst {k}")
        await wait_for(
            lambda: sum(map(counted, terminal.sequences(OSC9, BEL))) == 200,
            20,
            what="alerts that count all 200",
        )
        alerts = terminal.sequences(OSC9, BEL)
        assert len(alerts) <= 5, alerts
        assert alerts[-1].endswith(f"Burst 199{FROM}\x07".encode())


# -- the command line ----------------------------------------------------------------------------
async def test_tiri_tui_rules_shows_what_is_in_force(home):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        'quiet_hours = "22:00-07:00"\n\n[[rules]]\ntypes = ["new_message"]\naction = "mute"\n'
    )
    code, out, err = await run_cli(home, "--alerts", "osc777", "rules")
    assert code == 0, err
    assert out.splitlines()[:3] == [
        "alerts: osc777",
        "quiet hours: 22:00-07:00  (config.toml)",
        "rule 1: type new_message → mute  (line 3)",
    ]


async def test_a_bad_rule_stops_the_start_with_its_line_and_no_traceback(server, home):
    assert (await login(server, home))[0] == 0
    (home / "config" / "config.toml").write_text(
        '[[rules]]\ntypes = ["new_message"]\naction = "mutee"\n'
    )
    for command in ((), ("tail",), ("rules",)):
        code, _, err = await run_cli(home, "--server", server.url, *command)
        assert code == 1
        assert "config.toml, line 3: rule 1: 'action' must be read, mute, alert or run" in err
        assert "Traceback" not in err


async def test_desktop_alerts_without_the_extra_is_a_clear_error(server, home, monkeypatch):
    assert (await login(server, home))[0] == 0
    # The extra is not installed in the test environment; a stub that fails to
    # import stands in for it wherever it is.
    stub = home / "stub"
    stub.mkdir()
    (stub / "desktop_notifier.py").write_text("raise ImportError('not installed')\n")
    monkeypatch.setenv("PYTHONPATH", str(stub))
    code, _, err = await run_cli(home, "--server", server.url, "--alerts", "desktop")
    assert code == 1
    assert "pip install 'tiri-tui[desktop]'" in err and "Traceback" not in err
