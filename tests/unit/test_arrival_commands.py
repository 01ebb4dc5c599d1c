"""Commands on arrival: the notification only in the environment, within limits."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.support.waiting import wait_for
from tiri_tui.agent.on_arrival import ArrivalCommands, environment
from tiri_tui.attention.rules import Action, AttentionRules, Rule, RulesError, parse_rules
from tiri_tui.wire.models import Notification


def notification(nid: str = "n1", title: str = "Hello", **fields) -> Notification:
    return Notification.from_dict(
        {
            "id": nid,
            "title": title,
            "message": fields.pop("message", "a message"),
            "notification_type": fields.pop("notification_type", "new_message"),
            "is_read": False,
            "created_at": "2026-12-03T10:00:00.123456Z",
            "priority": fields.pop("priority", "high"),
            **fields,
        }
    )


def run_rule(command: str) -> AttentionRules:
    return AttentionRules(rules=(Rule(frozenset({"new_message"}), None, Action.RUN, 3, command),))


def test_every_field_reaches_the_environment_as_sent_and_only_nul_is_replaced():
    n = notification(
        title="$(touch PWNED) \"quoted\" 'single'\nsecond line \x00 end \ud800",
        extra_data={"request_id": "req-1", "note": "ünï"},
    )
    env = environment(n, {"PATH": "/bin"})
    assert env["PATH"] == "/bin"
    assert env["TIRI_TITLE"] == "$(touch PWNED) \"quoted\" 'single'\nsecond line \ufffd end ?"
    assert (env["TIRI_ID"], env["TIRI_TYPE"], env["TIRI_PRIORITY"]) == ("n1", "new_message", "high")
    assert env["TIRI_MESSAGE"] == "a message"
    assert env["TIRI_CREATED_AT"] == "2026-12-03T10:00:00.123456Z"
    assert env["TIRI_EXTRA_JSON"] == '{"request_id": "req-1", "note": "ünï"}'


async def test_a_command_gets_the_exact_title_and_runs_nothing_of_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = ArrivalCommands(
        run_rule('printf "%s" "$TIRI_TITLE" > "$OUT/$TIRI_ID"'),
        base_env={**os.environ, "OUT": str(tmp_path)},
    )
    titles = {
        "a": "$(touch PWNED)",
        "b": "`touch PWNED`",
        "c": "'; touch PWNED; '",
        "d": '"; touch PWNED; "',
        "e": "one\nline two\n",
        "f": "%s %n \\ $HOME",
    }
    for nid, title in titles.items():
        commands.arrived(notification(nid, title))
    await wait_for(lambda: commands.finished == len(titles), 10, what="every command")
    for nid, title in titles.items():
        assert (tmp_path / nid).read_text() == title
    assert not (tmp_path / "PWNED").exists()
    commands.arrived(notification("g", "muted", notification_type="welcome_email"))
    assert commands.started == len(titles)  # no rule matched: nothing ran


async def test_a_command_over_its_time_limit_is_stopped_with_what_it_started(tmp_path):
    commands = ArrivalCommands(
        run_rule(f'sleep 30 & echo $! > "{tmp_path}/child"; wait'), time_limit=0.3
    )
    commands.arrived(notification())
    await wait_for(lambda: commands.timed_out == 1, 10, what="the time limit")
    child = int((tmp_path / "child").read_text())
    await wait_for(lambda: not _alive(child), 5, what="its child stopped too")


async def test_commands_run_a_few_at_a_time_and_too_many_waiting_are_skipped(tmp_path):
    commands = ArrivalCommands(run_rule("sleep 0.2"), at_once=2, waiting_limit=3)
    most = 0
    for i in range(6):
        commands.arrived(notification(f"n{i}"))
    assert commands.skipped == 1  # 2 running, 3 waiting: the sixth has no place
    while commands.finished < 5:
        most = max(most, commands.started - commands.finished - commands.timed_out)
        await asyncio.sleep(0.01)
    assert most == 2


async def test_closing_stops_what_runs(tmp_path):
    commands = ArrivalCommands(run_rule(f'sleep 30 & echo $! > "{tmp_path}/child"; wait'))
    commands.arrived(notification())
    await wait_for(lambda: (tmp_path / "child").exists() and (tmp_path / "child").read_text(), 5)
    await commands.aclose()
    child = int((tmp_path / "child").read_text())
    await wait_for(lambda: not _alive(child), 5, what="its child stopped")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead: it waits only for its parent to read its status
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('types = "new_message"\naction = "run"', "a run rule needs 'run', a command"),
        ('types = "new_message"\naction = "run"\nrun = " "', "a run rule needs 'run', a command"),
        ('types = "new_message"\naction = "mute"\nrun = "x"', "'run' belongs to a rule with"),
    ],
)
def test_a_run_rule_needs_its_command_and_only_it_has_one(table, words):
    import tomllib

    text = f"[[rules]]\n{table}\n"
    with pytest.raises(RulesError, match=words):
        parse_rules(tomllib.loads(text)["rules"], text, "config.toml")


def test_a_run_rule_says_what_it_runs():
    text = '[[rules]]\ntypes = "new_message"\naction = "run"\nrun = "notify-send hi"\n'
    import tomllib

    [rule] = parse_rules(tomllib.loads(text)["rules"], text, "config.toml")
    assert rule.run == "notify-send hi"
    assert rule.describe() == "type new_message → run 'notify-send hi' (by the agent)  (line 1)"


async def test_a_command_that_closes_its_output_early_is_still_stopped_at_its_limit():
    commands = ArrivalCommands(run_rule("exec >/dev/null 2>&1; sleep 30"), time_limit=0.3)
    commands.arrived(notification())
    await wait_for(lambda: commands.timed_out == 1, 10, what="the time limit")
    assert commands.finished == 0
