"""`tiri-tui agent`: faces attach to one agent per profile; the server sees
one socket; the agent dying under its faces loses and repeats nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
from datetime import timedelta
from typing import Any

import pytest

from tests.support.agents import agent_in_process, kill, settings_for, spawn_agent
from tests.support.cli import login, run_cli, spawn_cli
from tests.support.waiting import wait_for
from tiri_tui.agent.endpoint import runtime_dir, socket_path
from tiri_tui.agent.link import AgentLost, attach
from tiri_tui.server import DEMO_EMAIL
from tiri_tui.server.state import iso
from tiri_tui.settings.config import resolve_settings


async def next_json(stream: asyncio.StreamReader, wanted, timeout: float = 20.0) -> dict[str, Any]:
    """The next JSON line of ``stream`` that ``wanted`` accepts."""
    async with asyncio.timeout(timeout):
        while True:
            line = await stream.readline()
            assert line, "the face ended"
            obj = json.loads(line)
            if wanted(obj):
                return obj


def api_requests(server) -> int:
    return sum(n for path, n in server.faults.requests.items() if path.startswith("/api/"))


def watching(service) -> list[str]:
    return sorted(face.name for face in service.faces.values() if face.watching)


async def stop_process(process: asyncio.subprocess.Process) -> int:
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    return await asyncio.wait_for(process.wait(), 10)


async def test_faces_attach_to_the_agent_and_the_server_sees_one_socket(server, home):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        user = server.user()
        await wait_for(lambda: len(server.hub.sockets(user)) == 1, 10, what="the agent's socket")
        tail = await spawn_cli(home, "--server", server.url, "tail", "--json")
        watch = await spawn_cli(
            home, "--server", server.url, "count", "--watch", "--format", "json"
        )
        try:
            await wait_for(lambda: watching(agent) == ["count", "tail"], 20, what="both faces")
            first = await next_json(watch.stdout, lambda obj: True)
            assert first == {"unread_count": agent.controller.unread_count, "stale": False}
            await wait_for(lambda: agent.controller.in_sync, 10, what="the agent's gap closed")
            asked = api_requests(server)
            code, out, err = await run_cli(home, "--server", server.url, "count")
            assert (code, out) == (0, f"{agent.controller.unread_count}\n"), err
            assert api_requests(server) == asked  # the agent's count: no request of its own
            code, out, err = await run_cli(home, "--server", server.url, "--no-agent", "count")
            assert code == 0 and api_requests(server) == asked + 1, err
            created = await server.create_notification(title="through the agent")
            shown = await next_json(tail.stdout, lambda obj: obj.get("event") == "notification")
            assert shown["notification"]["id"] == created["id"] and "backlog" not in shown
            assert await next_json(watch.stdout, lambda obj: True) == {
                "unread_count": server.state.unread_count(user),
                "stale": False,
            }
            assert len(server.hub.sockets(user)) == 1  # no face has a socket of its own
        finally:
            codes = [await stop_process(tail), await stop_process(watch)]
        assert codes == [0, 0]
        await wait_for(lambda: not agent.faces, 10, what="the faces forgotten")


async def test_the_agent_killed_and_restarted_under_its_faces_loses_and_repeats_nothing(
    server, home
):
    assert (await login(server, home))[0] == 0
    agent = await spawn_agent(server, home)
    tail = await spawn_cli(home, "--server", server.url, "tail", "--json")
    watch = await spawn_cli(home, "--server", server.url, "count", "--watch", "--format", "json")
    made: list[str] = []
    printed: list[str] = []

    async def make(label: str, count: int) -> None:
        for i in range(count):
            made.append((await server.create_notification(title=f"{label} {i}"))["id"])

    async def until_printed(nid: str) -> None:
        while nid not in printed:
            obj = await next_json(tail.stdout, lambda obj: obj.get("event") == "notification")
            printed.append(obj["notification"]["id"])

    try:
        await next_json(tail.stdout, lambda obj: obj.get("event") == "state")  # attached
        await make("before", 3)
        await until_printed(made[-1])
        await kill(agent)
        await make("while it was down", 3)
        agent = await spawn_agent(server, home)
        await make("after", 3)
        await until_printed(made[-1])
        marker = (await server.create_notification(title="the last"))["id"]
        await until_printed(marker)
        unread = server.state.unread_count(server.user())
        await next_json(watch.stdout, lambda obj: obj == {"unread_count": unread, "stale": False})
    finally:
        await stop_process(tail)
        await stop_process(watch)
        await stop_process(agent)
    assert printed == [*made, marker], (
        await tail.stderr.read()
    ).decode()  # every one, once, in order


async def test_a_second_agent_for_the_profile_says_who_holds_it_and_exits_1(server, home):
    assert (await login(server, home))[0] == 0
    agent = await spawn_agent(server, home)
    try:
        code, _, err = await run_cli(home, "--server", server.url, "agent")
        assert code == 1
        assert f"already running (pid {agent.pid})" in err and "agent stop" in err
        code, out, _ = await run_cli(home, "--server", server.url, "agent", "status")
        assert code == 0 and f"pid {agent.pid}" in out and "connected since" in out
        code, out, _ = await run_cli(home, "--server", server.url, "agent", "stop")
        assert code == 0 and f"stopped the agent for profile default (pid {agent.pid})" in out
        assert await asyncio.wait_for(agent.wait(), 10) == 0
    finally:
        await stop_process(agent)
    code, out, _ = await run_cli(home, "--server", server.url, "agent", "status")
    assert code == 3 and "no agent is running for profile default" in out


async def test_the_socket_is_private_and_answers_only_its_own_user(server, home):
    assert (await login(server, home))[0] == 0
    settings = settings_for(server, home)
    async with agent_in_process(server, home, allowed_uid=os.getuid() + 1):
        assert stat.S_IMODE(os.stat(runtime_dir(settings)).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(socket_path(settings)).st_mode) == 0o600
        refused: list[dict[str, Any]] = []
        link = await attach(socket_path(settings), lambda _e: None, refused.append)
        assert link is not None
        with pytest.raises(AgentLost):
            await link.request("status")  # the kernel says who connected: not its user
        await link.aclose()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to become another user")
async def test_another_user_cannot_even_reach_the_socket(server, home):
    assert (await login(server, home))[0] == 0
    settings = settings_for(server, home)
    async with agent_in_process(server, home):
        home.chmod(0o755)
        (home / "..").resolve().chmod(0o755)
        code = await asyncio.to_thread(_connect_as_nobody, str(socket_path(settings)))
    assert code == 13  # EACCES: the 0700 directory keeps everyone else out


def _connect_as_nobody(path: str) -> int:
    import socket

    pid = os.fork()
    if pid == 0:  # the child becomes nobody and tries
        try:
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(path)
            os._exit(0)
        except PermissionError:
            os._exit(13)
        except BaseException:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


async def test_the_agent_runs_commands_on_arrival_with_the_notification_in_the_environment(
    server, home, tmp_path, monkeypatch
):
    assert (await login(server, home))[0] == 0
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OUT", str(out))
    (home / "config" / "config.toml").write_text(
        '[[rules]]\npriority = "urgent"\naction = "run"\n'
        'run = \'printf "%s|%s" "$TIRI_TITLE" "$TIRI_TYPE" > "$OUT/$TIRI_ID"\'\n'
    )
    settings, _ = resolve_settings(environ={"TIRI_HOME": str(home)}, server=server.url)
    async with agent_in_process(server, home, settings=settings):
        hostile = '$(touch PWNED) `touch PWNED` "; touch PWNED; "\n\''
        urgent = await server.create_notification(title=hostile, priority="urgent")
        calm = await server.create_notification(title="calm", priority="low")
        await wait_for(lambda: (out / urgent["id"]).exists(), 10, what="the command's file")
        await wait_for(
            lambda: (out / urgent["id"]).read_text().endswith("|" + urgent["notification_type"]), 5
        )
    assert (out / urgent["id"]).read_text() == f"{hostile}|{urgent['notification_type']}"
    assert not (out / calm["id"]).exists()  # no rule matched it
    assert not (tmp_path / "PWNED").exists() and not (out / "PWNED").exists()


async def test_when_the_session_ends_faces_exit_2_and_a_new_login_brings_the_agent_back(
    server, home
):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home):
        tail = await spawn_cli(home, "--server", server.url, "tail", "--json")
        try:
            await next_json(tail.stdout, lambda obj: obj.get("event") == "state")
            stored = json.loads(next((home / "config" / "sessions").glob("*.json")).read_text())
            server.state.revoke(stored["refresh"])
            await server.close_sockets(DEMO_EMAIL, 4001)
            error = await next_json(tail.stdout, lambda obj: obj.get("event") == "error")
            assert await asyncio.wait_for(tail.wait(), 10) == 2
        finally:
            await stop_process(tail)
        assert error["message"] == f"session expired — run `tiri-tui --server {server.url} login`"
        code, out, _ = await run_cli(home, "--server", server.url, "agent", "status")
        assert code == 0 and "login required — run `tiri-tui login`" in out
        assert (await login(server, home))[0] == 0

        async def connected() -> bool:
            _, out, _ = await run_cli(home, "--server", server.url, "agent", "status")
            return "connected since" in out

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while not await connected():
            assert loop.time() < deadline, "the agent did not pick the new login up"
        code, out, _ = await run_cli(home, "--server", server.url, "count")
        assert code == 0 and out == f"{server.state.unread_count(server.user())}\n"


async def test_an_attached_tail_prints_what_the_agent_finds_later_though_older_than_its_newest(
    server, home
):
    """What the agent held at attach is not new; what it finds afterwards is,
    whatever its time (a gap fill's older finds, a page fetched again)."""
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        tail = await spawn_cli(home, "--server", server.url, "tail", "--json")
        try:
            await wait_for(lambda: watching(agent) == ["tail"], 20, what="the tail attached")
            await next_json(tail.stdout, lambda obj: obj.get("event") == "state")
            newest = agent.controller.held[0].created_at
            user = server.user()
            late = server.state.create_notification(
                user, title="late", created_at=iso(newest - timedelta(seconds=1))
            )
            assert await agent.controller.refresh() is None
            shown = await next_json(tail.stdout, lambda obj: obj.get("event") == "notification")
            assert shown["notification"]["id"] == late["id"]
        finally:
            await stop_process(tail)
