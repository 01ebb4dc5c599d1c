"""`tiri-tui count`: the unread count for status bars, in every format, with
the server up and down, and logged out."""

from __future__ import annotations

import json

from tests.support.cli import login, run_cli
from tests.support.clients import make_client
from tests.support.waiting import wait_for
from tiri_tui.commands.counting import Reading, render
from tiri_tui.server import DEMO_EMAIL


def server_unread(server) -> int:
    return sum(not n["is_read"] for n in server.user(DEMO_EMAIL).notifications)


async def test_count_prints_the_servers_count_in_every_format(server, home):
    assert (await login(server, home))[0] == 0
    unread = server_unread(server)
    code, out, err = await run_cli(home, "--server", server.url, "count")
    assert code == 0, err
    assert out == f"{unread}\n"
    _, out, _ = await run_cli(home, "--server", server.url, "count", "--format", "json")
    assert json.loads(out) == {"unread_count": unread, "stale": False}
    _, out, _ = await run_cli(home, "--server", server.url, "count", "--format", "waybar")
    bar = json.loads(out)
    assert bar["text"] == str(unread) and bar["class"] == ("unread" if unread else "zero")
    assert f"{unread} unread" in bar["tooltip"]
    _, out, _ = await run_cli(home, "--server", server.url, "count", "--format", "tmux")
    assert out == f"✉ {unread}\n"


async def test_with_the_server_down_count_prints_the_cached_count_as_stale(server, home):
    assert (await login(server, home))[0] == 0
    client = make_client(server, home)  # the dashboard's run leaves the cache
    controller = client.open_controller()
    await controller.start()
    await wait_for(lambda: controller.loaded.is_set() and controller.unread_count is not None)
    cached = controller.unread_count
    await client.aclose()
    await server.stop()
    code, out, err = await run_cli(home, "--server", server.url, "count", "--timeout", "1")
    assert code == 0, err
    assert out == f"{cached}?\n"  # plain text says it is stale, as tmux's `✉ 3?` does
    code, out, err = await run_cli(
        home, "--server", server.url, "count", "--format", "json", "--timeout", "1"
    )
    assert code == 0, err
    assert json.loads(out) == {"unread_count": cached, "stale": True}
    _, out, _ = await run_cli(
        home, "--server", server.url, "count", "--format", "waybar", "--timeout", "1"
    )
    assert json.loads(out)["class"] == "stale"


async def test_with_nothing_cached_and_no_server_the_count_is_unknown(server, home):
    assert (await login(server, home))[0] == 0
    await server.stop()
    code, out, _ = await run_cli(home, "--server", server.url, "count", "--timeout", "1")
    assert code == 0 and out == "?\n"


async def test_count_when_logged_out_exits_2_saying_how_to_log_in(server, home):
    code, out, err = await run_cli(home, "--server", server.url, "count")
    assert code == 2 and out == ""
    assert f"tiri-tui --server {server.url} login" in err


def test_the_outputs_are_built_from_the_number_alone():
    assert render(Reading(None, True), "json") == '{"unread_count": null, "stale": true}'
    assert render(Reading(3, True), "tmux") == "✉ 3?"
    assert render(Reading(3, True), "plain") == "3?" and render(Reading(3, False), "plain") == "3"
    assert render(Reading(None, True), "plain") == "?"
    assert json.loads(render(Reading(1, False), "waybar"))["tooltip"] == "1 unread notification"
    assert json.loads(render(Reading(0, False), "waybar"))["class"] == "zero"


async def test_watch_prints_each_change_through_a_server_restart(server, home):
    import asyncio

    from tests.support.cli import spawn_cli

    assert (await login(server, home))[0] == 0
    process = await spawn_cli(home, "--server", server.url, "count", "--watch", "--format", "json")

    async def next_reading() -> dict:
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert line, "count --watch ended"
        return json.loads(line)

    try:
        first = await next_reading()
        while first["stale"]:  # connecting: the cached or REST count first
            first = await next_reading()
        await server.create_notification()
        reading = await next_reading()
        assert reading == {"unread_count": first["unread_count"] + 1, "stale": False}
        await server.stop()
        assert (await next_reading())["stale"] is True
        await server.start()
        reading = await next_reading()
        while reading["stale"]:
            reading = await next_reading()
        assert reading["unread_count"] == first["unread_count"] + 1
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0
