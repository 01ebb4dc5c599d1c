"""The person's preferences on the server, shared with the phone: `prefs`
shows and sets them; the quiet hours in force are the server's when
config.toml sets none (`config` and `rules` say so); the agent follows them;
a server without the route is said to lack them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from tests.support.agents import FakeNotifier, agent_in_process
from tests.support.cli import login, run_cli
from tests.support.waiting import wait_for
from tiri_tui.attention.rules import Action, AttentionRules, Rule
from tiri_tui.server import DEMO_EMAIL
from tiri_tui.settings.config import Settings


def prefs_of(server) -> dict:
    return server.user(DEMO_EMAIL).preferences


async def test_prefs_shows_and_sets_what_the_phone_shares(server, home):
    assert (await login(server, home))[0] == 0
    cli = ("--server", server.url, "prefs")
    code, out, err = await run_cli(home, *cli)
    assert code == 0, err
    assert "quiet hours  none" in out and "push         on" in out
    code, out, err = await run_cli(home, *cli, "set", "quiet-hours", "22:00-07:30")
    assert code == 0, err
    assert prefs_of(server)["quiet_hours_start"] == "22:00"
    assert prefs_of(server)["quiet_hours_end"] == "07:30"
    assert "quiet hours  22:00-07:30" in out
    code, _, err = await run_cli(home, *cli, "set", "push", "off")
    assert code == 0 and prefs_of(server)["push_enabled"] is False, err
    # The rest written back as the server sent it (Django's TimeField: with seconds).
    assert prefs_of(server)["quiet_hours_start"] == "22:00:00"
    # A removal first: `-welcome_email` is a change, not an option.
    code, out, err = await run_cli(home, *cli, "types", "-welcome_email", "+shiny_new")
    assert code == 0, err
    wanted = prefs_of(server)["enabled_types"]
    assert "welcome_email" not in wanted and wanted[-1] == "shiny_new"
    assert "not wanted   welcome_email" in out
    assert "'shiny_new' is not a type this client knows; sent as typed" in err
    code, out, _ = await run_cli(home, *cli, "--json")
    assert json.loads(out)["quiet_hours_start"] == "22:00:00"  # as the server holds it


async def test_prefs_refuses_what_cannot_be_sent_and_sends_nothing(server, home):
    assert (await login(server, home))[0] == 0
    before = dict(prefs_of(server))
    cli = ("--server", server.url, "prefs")
    for args, said in (
        (("set", "quiet-hours", "25:00-07:00"), "is not a time of day"),
        (("set", "quiet-hours", "22:00-22:00"), "starts when it ends"),
        (("set", "sms", "maybe"), "sms is on or off"),
        (("types", "new_message"), "write +TYPE to want it, -TYPE not to"),
    ):
        code, out, err = await run_cli(home, *cli, *args)
        assert (code, out) == (1, ""), args
        assert said in err and "Traceback" not in err
    assert prefs_of(server) == before


async def test_config_and_rules_say_the_servers_quiet_hours_are_in_force(server, home):
    assert (await login(server, home))[0] == 0
    code, out, _ = await run_cli(home, "--server", server.url, "config")
    assert code == 0
    assert "quiet_hours = (none)  (none: the server's preferences are not read yet)" in out
    await run_cli(home, "--server", server.url, "prefs", "set", "quiet-hours", "23:00-06:00")
    code, out, _ = await run_cli(home, "--server", server.url, "config")
    assert code == 0
    assert "quiet_hours = 23:00-06:00  (the server's preferences, shared with the phone" in out
    code, out, _ = await run_cli(home, "--server", server.url, "rules")
    assert code == 0
    assert out.splitlines()[1].startswith("quiet hours: 23:00-06:00  (the server's preferences")
    (home / "config" / "config.toml").write_text('quiet_hours = "21:00-08:00"\n')
    _, out, _ = await run_cli(home, "--server", server.url, "config")
    assert "quiet_hours = 21:00-08:00  (config.toml)" in out  # config.toml wins


async def test_a_server_without_preferences_is_said_to_lack_them(server, home):
    assert (await login(server, home))[0] == 0
    server.faults.offer_preferences = False
    code, out, err = await run_cli(home, "--server", server.url, "prefs")
    assert (code, out) == (3, "")
    assert "this server keeps no notification preferences" in err and "Traceback" not in err
    code, out, _ = await run_cli(home, "--server", server.url, "prefs", "set", "push", "off")
    assert code == 3
    _, out, _ = await run_cli(home, "--server", server.url, "config")
    assert "none: the server keeps no preferences, and config.toml sets none" in out


async def test_the_agent_keeps_quiet_in_the_servers_quiet_hours(server, home):
    assert (await login(server, home))[0] == 0
    now = datetime.now()
    prefs_of(server)["quiet_hours_start"] = f"{now - timedelta(hours=1):%H:%M}"
    prefs_of(server)["quiet_hours_end"] = f"{now + timedelta(hours=1):%H:%M}"
    # An urgent rule gets through quiet hours: its alert shows whether the
    # quiet one was held back (else both are coalesced into one alert).
    urgent = AttentionRules(rules=(Rule(None, "urgent", Action.ALERT),))
    settings = Settings(server=server.url, home=home, attention=urgent)
    notifier = FakeNotifier()
    preferences = "/api/notifications/preferences/notification_preferences/"
    async with agent_in_process(server, home, settings=settings, notifier=notifier) as agent:
        await wait_for(lambda: server.faults.requests[preferences], 5, what="the preferences read")
        await wait_for(lambda: agent.alerts_in_force()["quiet_hours"], 5, what="the hours kept")
        code, out, _ = await run_cli(home, "--server", server.url, "agent", "status")
        assert code == 0 and "alerts: quiet hours" in out and "(the server's preferences)" in out
        await wait_for(lambda: agent.controller.in_sync, 10)
        await server.create_notification(title="in the quiet hours", priority="normal")
        await server.create_notification(title="urgent all the same", priority="urgent")
        await wait_for(lambda: notifier.sent, 5, what="the urgent one's alert")
    [(_, body, _)] = notifier.sent
    assert "urgent all the same" in body and "in the quiet hours" not in body
    assert "new notifications" not in body  # the quiet one was never queued


async def test_a_server_that_keeps_preferences_but_takes_no_change_is_not_said_to_lack_them(
    server, home
):
    assert (await login(server, home))[0] == 0
    prefs_of(server).update(quiet_hours_start="22:00", quiet_hours_end="07:00")
    server.faults.preferences_read_only = True
    code, out, err = await run_cli(home, "--server", server.url, "prefs", "set", "push", "off")
    assert (code, out) == (3, "")
    assert "does not take changes to the preferences (nothing changed)" in err
    _, out, _ = await run_cli(home, "--server", server.url, "config")
    assert "keeps no preferences" not in out  # its quiet hours still count
