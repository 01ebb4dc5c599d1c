"""The account-wide answers, pure: the unread breakdown and the preferences
(parsed, changed one key at a time with the rest kept), the server's quiet
hours as last read, followed with a fake clock, and their place in attention."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest

from tiri_tui.attention.attention import Attention
from tiri_tui.attention.rules import AttentionRules, QuietHours
from tiri_tui.settings.server_preferences import (
    KnownPreferences,
    follow_server_preferences,
    load_known,
    quiet_hours_in_force,
    save_known,
)
from tiri_tui.wire.account import (
    breakdown_from,
    preferences_from,
    shown_type,
    with_flag,
    with_quiet_hours,
    with_types,
)
from tiri_tui.wire.errors import ActionUnavailable, ServerUnreachable
from tiri_tui.wire.models import WireError

SERVER_PREFS = {
    "email_enabled": True,
    "push_enabled": False,
    "sms_enabled": False,
    "enabled_types": ["new_message", "welcome_email"],
    "quiet_hours_start": "22:00:00",
    "quiet_hours_end": "07:30:00",
    "digest_enabled": True,  # a key this client does not know
}


def test_a_breakdown_is_counts_by_inert_name_largest_first_or_none():
    body = {"unread_count": 6, "type_breakdown": {"b": 1, "a\x1b[2J": 2, "a??2J": 1, "c": 2}}
    assert breakdown_from(body) == {"a??2J": 3, "c": 2, "b": 1}
    assert breakdown_from({"unread_count": 3}) is None
    assert breakdown_from({"unread_count": 3, "type_breakdown": ["x"]}) is None
    assert breakdown_from({"type_breakdown": {"x": True, "y": "2", "z": 0, 5: 1}}) == {}
    assert shown_type("<b>&amp;") == "?b??amp?" and shown_type("") == "?"
    assert len(shown_type("x" * 500)) == 48


def test_preferences_are_read_with_seconds_and_checked():
    prefs = preferences_from(SERVER_PREFS)
    assert prefs.quiet_hours == (time(22), time(7, 30))
    assert prefs.enabled_types == ("new_message", "welcome_email") and not prefs.push_enabled
    assert preferences_from({**SERVER_PREFS, "quiet_hours_end": None}).quiet_hours is None
    same = {**SERVER_PREFS, "quiet_hours_start": "08:00", "quiet_hours_end": "08:00"}
    assert preferences_from(same).quiet_hours is None  # no span
    for broken in (
        {**SERVER_PREFS, "push_enabled": "yes"},
        {**SERVER_PREFS, "enabled_types": "new_message"},
        {**SERVER_PREFS, "quiet_hours_start": "25:00"},
        ["not", "an", "object"],
    ):
        with pytest.raises(WireError):
            preferences_from(broken)


def test_a_change_writes_the_whole_object_back_with_one_key_changed():
    prefs = preferences_from(SERVER_PREFS)
    quiet = with_quiet_hours(prefs, (time(23), time(6)))
    assert quiet == {**SERVER_PREFS, "quiet_hours_start": "23:00", "quiet_hours_end": "06:00"}
    assert with_quiet_hours(prefs, None)["quiet_hours_start"] is None
    assert with_flag(prefs, "push_enabled", True) == {**SERVER_PREFS, "push_enabled": True}
    types = with_types(prefs, ["chat_room_created", "new_message"], ["welcome_email"])
    assert types["enabled_types"] == ["new_message", "chat_room_created"]
    assert types["digest_enabled"] is True
    with pytest.raises(ValueError):
        with_flag(prefs, "enabled_types", True)


def test_known_preferences_are_kept_privately_and_read_back(tmp_path: Path):
    path = tmp_path / "prefs.json"
    assert load_known(path) is None
    known = KnownPreferences(True, "22:00-07:00", ("new_message",), "2026-12-03 10:00")
    save_known(path, known)
    assert load_known(path) == known and path.stat().st_mode & 0o077 == 0
    path.write_text("{broken")
    assert load_known(path) is None


def test_config_wins_then_the_servers_then_none_each_saying_where_from():
    ours = AttentionRules(quiet_hours=QuietHours(time(21), time(8)))
    server = KnownPreferences(True, "22:00-07:00", (), "2026-12-03 10:00")
    assert quiet_hours_in_force(ours, server) == (QuietHours(time(21), time(8)), "config.toml")
    hours, source = quiet_hours_in_force(None, server)
    assert hours == QuietHours(time(22), time(7)) and "the server's preferences" in source
    assert quiet_hours_in_force(None, KnownPreferences(False))[0] is None
    assert "not read yet" in quiet_hours_in_force(None, None)[1]


class Server:
    """A preferences route whose answers a test sets."""

    def __init__(self) -> None:
        self.answer: object = preferences_from(SERVER_PREFS)
        self.asked = 0

    async def ask(self):
        self.asked += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


async def follow(server: Server, path: Path, rounds: int):
    """Run the follower for ``rounds`` reads (a fake sleep ends it)."""
    used: list[KnownPreferences | None] = []
    missing: list[int] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    await follow_server_preferences(
        server.ask,
        path,
        used.append,
        lambda: missing.append(1),
        alive=lambda: len(slept) < rounds,
        now=lambda: datetime(2026, 12, 3, 10, 0),
        sleep=sleep,
    )
    return used, len(missing)


async def test_the_stored_copy_is_used_at_once_then_the_servers_and_a_change_followed(tmp_path):
    path, server = tmp_path / "prefs.json", Server()
    save_known(path, KnownPreferences(True, "20:00-06:00", (), "earlier"))
    used, missing = await follow(server, path, rounds=1)
    assert [k.quiet_hours if k else None for k in used] == ["20:00-06:00", "22:00-07:30"]
    assert missing == 0 and load_known(path).quiet_hours == "22:00-07:30"
    server.answer = preferences_from({**SERVER_PREFS, "quiet_hours_start": None})
    used, _ = await follow(server, path, rounds=2)
    assert used[-1].quiet is None  # the phone took them away: followed


async def test_a_server_out_of_reach_leaves_what_was_known_in_force(tmp_path):
    path, server = tmp_path / "prefs.json", Server()
    save_known(path, KnownPreferences(True, "20:00-06:00", (), "earlier"))
    server.answer = ServerUnreachable("down")
    used, missing = await follow(server, path, rounds=2)
    assert [k.quiet_hours for k in used] == ["20:00-06:00"] and missing == 0
    assert server.asked == 2


async def test_a_server_without_the_route_is_said_once_across_starts(tmp_path):
    path, server = tmp_path / "prefs.json", Server()
    server.answer = ActionUnavailable("this server keeps no notification preferences")
    used, missing = await follow(server, path, rounds=2)
    assert missing == 1 and used[-1] == KnownPreferences(False, read_at="2026-12-03 10:00")
    _, missing = await follow(server, path, rounds=1)  # the next start
    assert missing == 0


def test_attention_keeps_quiet_in_the_servers_hours_unless_config_sets_its_own():
    def attention(rules: AttentionRules, at: time) -> Attention:
        return Attention(
            rules,
            alerts=True,
            alerts_ring=False,
            bell_on_urgent=False,
            local_time=lambda: at,
            clock=lambda: 0.0,
        )

    night = attention(AttentionRules(), time(23, 30))
    assert not night.quiet
    night.use_server_quiet_hours(QuietHours(time(22), time(7)))
    assert night.quiet  # judged afresh at once, not after the recheck interval
    own = attention(AttentionRules(quiet_hours=QuietHours(time(8), time(9))), time(23, 30))
    own.use_server_quiet_hours(QuietHours(time(22), time(7)))
    assert not own.quiet and own.quiet_hours == QuietHours(time(8), time(9))
