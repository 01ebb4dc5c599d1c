"""Do not disturb across faces: `tiri-tui dnd` from a script silences a
running dashboard (seen in its raw terminal output) and the agent within a
second; an alert rule still gets through; turning it off brings one line and
one alert."""

from __future__ import annotations

import json
import time

from tests.functional.test_alerts import BEL, OSC9, handled
from tests.support.agents import FakeNotifier, agent_in_process
from tests.support.cli import login, run_cli
from tests.support.pty_dashboard import dashboard, push
from tests.support.terminal import FOCUS_OUT
from tests.support.waiting import wait_for
from tiri_tui.attention.do_not_disturb import DoNotDisturb
from tiri_tui.settings.config import Settings
from tiri_tui.settings.do_not_disturb_file import read_state, state_path, write_state


async def test_dnd_from_a_script_silences_the_dashboard_and_off_says_what_came(server, home):
    async with dashboard(server, home, "--alerts", "osc9") as terminal:
        await handled(terminal, FOCUS_OUT)  # not looking: alerts would go out
        code, out, err = await run_cli(home, "dnd", "on", "--for", "1h")
        assert code == 0 and "Do not disturb: on for 1h" in out, err
        await terminal.wait_for_output(b"dnd 1h")  # the header, within a second
        await push(server, "First while away")
        await push(server, "Second while away", priority="urgent")
        await terminal.wait_for_output(b"Second while away")  # listed all the same
        start = len(terminal.output)
        code, out, _ = await run_cli(home, "dnd", "off")
        assert (code, out) == (0, "Do not disturb: off.\n")
        catch_up = b"\x1b]9;Tiri: While you were away: 2 new, 1 urgent\x07"
        await terminal.wait_for_output(catch_up, start=start)
        await terminal.wait_for_output(b"While you were away: 2 new, 1 urgent", start=start)
        assert terminal.sequences(OSC9, BEL) == [catch_up]  # one alert, nothing before it


async def test_an_alert_rule_gets_through_do_not_disturb(server, home):
    config = '[[rules]]\ntypes = ["approval_request"]\naction = "alert"\n'
    async with dashboard(server, home, "--alerts", "osc9", config=config) as terminal:
        await handled(terminal, FOCUS_OUT)
        assert (await run_cli(home, "dnd", "on"))[0] == 0
        await terminal.wait_for_output(b"dnd")
        await push(server, "Quiet one")
        await push(server, "Let me in", notification_type="approval_request")
        await terminal.wait_for_output(b"\x1b]9;Tiri: Let me in")
        assert all(b"Quiet one" not in alert for alert in terminal.sequences(OSC9, BEL))


async def test_dnd_status_and_what_it_refuses(home):
    code, out, _ = await run_cli(home, "dnd", "status", "--json")
    assert code == 0 and json.loads(out) == {
        "on": False,
        "since": None,
        "until": None,
        "left_seconds": None,
    }
    assert (await run_cli(home, "dnd", "on", "--until", "18:00"))[0] == 0
    _, out, _ = await run_cli(home, "dnd", "status", "--json")
    status = json.loads(out)
    assert status["on"] is True and 0 < status["left_seconds"] <= 86400
    code, _, err = await run_cli(home, "dnd", "on", "--for", "soon")
    assert code == 1 and "'soon' is not a duration" in err
    code, _, err = await run_cli(home, "dnd", "on", "--for", "1h", "--until", "18:00")
    assert code == 2 and "not allowed with" in err
    assert read_state(state_path(Settings(server="http://x", home=home).data_dir)) is not None
    assert (await run_cli(home, "dnd", "off"))[1] == "Do not disturb: off.\n"
    assert (await run_cli(home, "dnd"))[1] == "Do not disturb: off\n"


async def test_the_agent_keeps_quiet_then_raises_one_catch_up_alert(server, home):
    assert (await login(server, home))[0] == 0
    notifier = FakeNotifier()
    path = state_path(Settings(server=server.url, home=home).data_dir)
    async with agent_in_process(server, home, notifier=notifier) as agent:
        write_state(path, DoNotDisturb(time.time(), None))
        await wait_for(
            lambda: agent.alerts_in_force()["do_not_disturb"], 5, what="silenced within a second"
        )
        await wait_for(lambda: agent.controller.in_sync, 10)
        first = await server.create_notification(title="while away", priority="normal")
        await wait_for(lambda: first["id"] in agent.controller.held, 5)
        _, out, _ = await run_cli(home, "--server", server.url, "agent", "status")
        assert "do not disturb is on" in out
        write_state(path, None)
        await wait_for(lambda: notifier.sent, 5, what="the catch-up alert")
    titles = [title for title, _, _ in notifier.sent]
    bodies = [body for _, body, _ in notifier.sent]
    assert titles == ["Tiri"] and bodies == ["While you were away: 1 new"]
