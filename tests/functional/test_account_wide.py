"""The account-wide routes from the command line: `count --breakdown` and
`clear-read`, against the embedded server (which serves both), against one
without them, alone and through the agent."""

from __future__ import annotations

import asyncio
import json
import signal

from tests.support.agents import agent_in_process
from tests.support.cli import login, run_cli
from tests.support.clients import make_client
from tests.support.terminal import in_terminal
from tests.support.waiting import wait_for
from tiri_tui.commands.count_lines import Reading, render
from tiri_tui.connection.account import AccountApi
from tiri_tui.server import DEMO_EMAIL
from tiri_tui.sync.store import NotificationCache
from tiri_tui.wire.errors import ActionNotSent


def unread_by_type(server) -> dict[str, int]:
    return server.state.unread_by_type(server.user(DEMO_EMAIL))


def read_ids(server) -> set[str]:
    return {n["id"] for n in server.user(DEMO_EMAIL).notifications if n["is_read"]}


async def test_count_breakdown_in_every_format_names_each_type_inertly(server, home):
    assert (await login(server, home))[0] == 0
    hostile = "x<b>&#[fg=red]\x1b[31m"
    await server.create_notification(notification_type=hostile)
    wanted = unread_by_type(server)
    unread = server.state.unread_count(server.user(DEMO_EMAIL))
    code, out, err = await run_cli(
        home, "--server", server.url, "count", "--breakdown", "--format", "json"
    )
    assert code == 0, err
    body = json.loads(out)
    assert body["unread_count"] == unread and body["stale"] is False
    assert sum(body["breakdown"].values()) == unread
    assert body["breakdown"]["x?b????fg?red???31m"] == 1  # made inert, counted still
    for name, count in wanted.items():
        if name != hostile:
            assert body["breakdown"][name] == count
    _, plain, _ = await run_cli(home, "--server", server.url, "count", "--breakdown")
    lines = plain.splitlines()
    assert lines[0] == str(unread) and len(lines) == 1 + len(wanted)
    _, bar, _ = await run_cli(
        home, "--server", server.url, "count", "--breakdown", "--format", "waybar"
    )
    tooltip = json.loads(bar)["tooltip"]
    assert "<" not in tooltip and "&" not in tooltip  # waybar reads Pango markup
    _, tmux, _ = await run_cli(
        home, "--server", server.url, "count", "--breakdown", "--format", "tmux"
    )
    assert tmux.startswith(f"✉ {unread} (") and "#" not in tmux and "\x1b" not in tmux


async def test_a_server_that_ignores_the_breakdown_gives_the_count_alone_and_no_error(server, home):
    assert (await login(server, home))[0] == 0
    server.faults.offer_breakdown = False
    unread = server.state.unread_count(server.user(DEMO_EMAIL))
    code, out, err = await run_cli(
        home, "--server", server.url, "count", "--breakdown", "--format", "json"
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == {"unread_count": unread, "stale": False, "breakdown": None}
    _, plain, _ = await run_cli(home, "--server", server.url, "count", "--breakdown")
    assert plain == f"{unread}\n"


async def test_breakdown_with_watch_is_refused_in_words(server, home):
    code, out, err = await run_cli(home, "--server", server.url, "count", "--breakdown", "--watch")
    assert code == 1 and out == "" and "without --watch" in err


def test_the_breakdown_lines_are_built_from_counts_and_inert_names():
    reading = Reading(7, False, {"new_message": 4, "request_accepted": 2, "welcome_email": 1})
    assert render(reading, "plain", breakdown=True) == (
        "7\n4 new_message\n2 request_accepted\n1 welcome_email"
    )
    assert render(reading, "tmux", breakdown=True) == (
        "✉ 7 (new_message 4, request_accepted 2, welcome_email 1)"
    )
    many = Reading(9, False, {"a": 3, "b": 2, "c": 2, "d": 1, "e": 1})
    assert render(many, "tmux", breakdown=True) == "✉ 9 (a 3, b 2, c 2, other 2)"
    assert json.loads(render(Reading(3, True), "json", breakdown=True))["breakdown"] is None


async def test_count_breakdown_through_the_agent_is_the_agents_even_with_the_server_down(
    server, home
):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        await wait_for(lambda: agent.controller.in_sync, 10, what="the agent's gap closed")
        # Only the agent can answer now: this face has no session to ask with.
        for stored in home.rglob("session-*.json"):
            stored.unlink()
        code, out, err = await run_cli(
            home, "--server", server.url, "count", "--breakdown", "--format", "json"
        )
        assert code == 0, err
        assert json.loads(out)["breakdown"] == dict(
            sorted(unread_by_type(server).items(), key=lambda item: (-item[1], item[0]))
        )
        await server.stop()
        code, out, err = await run_cli(
            home, "--server", server.url, "count", "--breakdown", "--format", "waybar"
        )
        assert code == 0 and "Traceback" not in err, err
        bar = json.loads(out)  # the agent's count, without the split it could not ask for
        assert bar["text"] == str(agent.controller.unread_count)
        assert bar["tooltip"].count("\n") == 0


async def test_clear_read_deletes_every_read_one_and_the_cache_follows(server, home):
    assert (await login(server, home))[0] == 0
    client = make_client(server, home)  # a dashboard's run leaves the cache
    controller = client.open_controller()
    await controller.start()
    await wait_for(lambda: controller.loaded.is_set() and controller.current, 10)
    await client.aclose()
    read = read_ids(server)
    assert read
    code, out, err = await run_cli(home, "--server", server.url, "clear-read")
    assert code == 1 and "add --yes" in err and read_ids(server) == read  # no terminal: no
    code, out, err = await run_cli(home, "--server", server.url, "clear-read", "--yes")
    assert code == 0, err
    assert out == f"Cleared {len(read)} read notifications from {server.url}.\n"
    assert read_ids(server) == set()
    again = make_client(server, home)
    cache = NotificationCache(again._cache_path())
    try:
        rows, _, _ = cache.load()
    finally:
        cache.close()
        await again.aclose()
    assert rows and not any(n.is_read for n in rows)
    code, out, _ = await run_cli(home, "--server", server.url, "clear-read", "--yes")
    assert (code, out) == (0, f"No read notifications on {server.url}: nothing to clear.\n")


async def test_clear_read_on_a_server_without_it_says_so_and_exits_3(server, home):
    assert (await login(server, home))[0] == 0
    server.faults.offer_clear_read = False
    read = read_ids(server)
    code, out, err = await run_cli(home, "--server", server.url, "clear-read", "--yes")
    assert (code, out) == (3, "")
    assert "this server cannot clear read notifications" in err and "Traceback" not in err
    assert read_ids(server) == read


async def test_clear_read_through_the_agent_empties_every_faces_read_rows(server, home):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        await wait_for(lambda: agent.controller.in_sync, 10, what="the agent's gap closed")
        held = agent.controller.held
        assert any(n.is_read for n in held)
        unread = agent.controller.unread_count
        code, _, err = await run_cli(home, "--server", server.url, "clear-read", "--yes")
        assert code == 0, err
        assert read_ids(server) == set()
        await wait_for(lambda: not any(n.is_read for n in agent.controller.held), 10)
        assert agent.controller.unread_count == unread  # only read ones went
        assert len(agent.controller.held) > 0


async def test_a_controller_refuses_to_clear_while_marks_wait_to_be_sent(server, home):
    assert (await login(server, home))[0] == 0
    client = make_client(server, home)
    controller = client.open_controller()
    try:
        await controller.start()
        await wait_for(lambda: controller.loaded.is_set() and controller.current, 10)
        unread = next(n for n in controller.held if not n.is_read)
        controller.mark_read(unread.id, hold=60)  # held back for its undo window
        read = read_ids(server)
        try:
            await controller.clear_read()
        except ActionNotSent as exc:
            assert "1 change still on the way" in str(exc)
        else:
            raise AssertionError("cleared with a mark waiting")
        assert read_ids(server) == read and unread.id in controller.held
        count = await AccountApi(client.api).unread_breakdown()
        assert count.count == server.state.unread_count(server.user(DEMO_EMAIL))
    finally:
        await client.aclose()


async def test_ctrl_c_at_the_clear_read_question_ends_it_at_once_deleting_nothing(server, home):
    assert (await login(server, home))[0] == 0
    read = read_ids(server)
    async with in_terminal("--server", server.url, "clear-read", home=home) as terminal:
        await terminal.wait_for_output(b"for good? [y/N]")
        terminal.process.send_signal(signal.SIGINT)  # ctrl+c, as a terminal sends it
        await terminal.wait_for_output(b"nothing deleted")
        code = await asyncio.wait_for(asyncio.to_thread(terminal.process.wait), 5)
    assert code == 1 and read_ids(server) == read
    assert b"Traceback" not in terminal.output
