"""`tiri-tui agent`: faces attach to one agent per profile; the server sees
one socket; the agent dying under its faces loses and repeats nothing."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import stat
from datetime import timedelta
from typing import Any

import pytest

from tests.support.agents import agent_in_process, kill, settings_for, spawn_agent
from tests.support.cli import login, run_cli, spawn_cli
from tests.support.clients import make_client
from tests.support.waiting import wait_for
from tiri_tui.agent.endpoint import runtime_dir, socket_path
from tiri_tui.agent.link import AgentLost, attach
from tiri_tui.commands.tailing import run_tail
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
            # Its hello, its backlog and the ids it counts as seen: caught up.
            [face] = agent.faces.values()
            await wait_for(lambda: face.answered >= 3, 10, what="the tail caught up")
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


async def test_a_tail_whose_agent_does_not_come_back_carries_on_alone_missing_nothing(
    server, home, monkeypatch
):
    assert (await login(server, home))[0] == 0
    monkeypatch.setattr("tiri_tui.agent.link.REATTACH_PATIENCE", 0.3)
    out, stop = io.StringIO(), asyncio.Event()
    client = make_client(server, home)
    printed = lambda: [  # noqa: E731
        json.loads(line)["notification"]["title"]
        for line in out.getvalue().splitlines()
        if '"event":"notification"' in line
    ]
    async with agent_in_process(server, home) as agent:
        task = asyncio.create_task(run_tail(client, as_json=True, newest=0, out=out, stop=stop))
        await wait_for(lambda: watching(agent) == ["tail"], 10, what="the tail attached")
        await server.create_notification(title="through the agent")
        await wait_for(lambda: printed() == ["through the agent"], 10)
    # The agent stopped for good; this one comes while the tail is without it.
    server.state.create_notification(server.user(), title="while nobody listened")
    await wait_for(lambda: len(server.hub.sockets(server.user())) == 1, 10, what="its own socket")
    await server.create_notification(title="to the tail alone")
    await wait_for(lambda: len(printed()) == 3, 10, what=f"all three: {printed()}")
    stop.set()
    assert await task == 0
    await client.aclose()
    # Each once; what came while nobody listened is caught up after the first
    # load, so a row pushed during that load may print before it.
    assert sorted(printed()) == ["through the agent", "to the tail alone", "while nobody listened"]


async def test_a_row_pushed_because_it_was_read_elsewhere_runs_no_command(
    server, home, tmp_path, monkeypatch
):
    assert (await login(server, home))[0] == 0
    ran = tmp_path / "ran"
    monkeypatch.setenv("RAN", str(ran))
    user = server.user()
    unheld = min(user.notifications, key=lambda n: n["created_at"])  # beyond page 1
    (home / "config" / "config.toml").write_text(
        f'[[rules]]\ntypes = ["{unheld["notification_type"]}", "welcome_email"]\n'
        'action = "run"\nrun = \'printf "%s\\n" "$TIRI_TITLE" >> "$RAN"\'\n'
    )
    settings, _ = resolve_settings(environ={"TIRI_HOME": str(home)}, server=server.url)
    async with agent_in_process(server, home, settings=settings) as agent:
        assert unheld["id"] not in agent.controller.held
        if unheld["is_read"]:
            server.state.set_read(user, unheld["id"], False)
        read = server.state.set_read(user, unheld["id"], True)
        await server.broadcast_changes(user, [read])  # as a mark on the website pushes it
        await wait_for(lambda: unheld["id"] in agent.controller.held, 5, what="the pushed row")
        fresh = await server.create_notification(
            title="really new", notification_type="welcome_email"
        )
        await wait_for(lambda: ran.exists() and "really new" in ran.read_text(), 10)
    assert ran.read_text() == "really new\n"  # not the old row read elsewhere
    assert fresh["title"] == "really new"


async def test_a_title_that_is_not_unicode_text_reaches_an_attached_tail(server, home):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        tail = await spawn_cli(home, "--server", server.url, "tail", "--json")
        try:
            await wait_for(lambda: watching(agent) == ["tail"], 20, what="the tail attached")
            await server.create_notification(title="half \ud800 a pair")
            shown = await next_json(tail.stdout, lambda obj: obj.get("event") == "notification")
            assert shown["notification"]["title"] == "half \ufffd a pair"
            assert watching(agent) == ["tail"]  # still attached: the line did not end it
        finally:
            await stop_process(tail)


async def test_a_face_asked_for_another_server_does_not_show_the_agents(server, home):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home):
        other = "http://127.0.0.1:9"  # nobody's: the face must not show the agent's count
        code, out, err = await run_cli(home, "--server", other, "count")
    assert (code, out) == (2, "") and f"--server {other} login" in err


async def test_a_face_trusts_no_socket_in_a_directory_others_can_enter(server, home):
    assert (await login(server, home))[0] == 0
    settings = settings_for(server, home)
    async with agent_in_process(server, home):
        runtime_dir(settings).chmod(0o755)
        assert await attach(socket_path(settings), lambda _e: None) is None
        runtime_dir(settings).chmod(0o700)
        link = await attach(socket_path(settings), lambda _e: None)
        assert link is not None
        await link.aclose()


async def test_count_does_not_wait_past_its_timeout_for_an_agent_that_does_not_answer(server, home):
    assert (await login(server, home))[0] == 0
    agent = await spawn_agent(server, home)
    agent.send_signal(signal.SIGSTOP)  # it accepts connections, and answers nothing
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        code, out, err = await run_cli(home, "--server", server.url, "count", "--timeout", "1")
        took = loop.time() - started
    finally:
        agent.send_signal(signal.SIGCONT)
        await stop_process(agent)
    assert (code, out) == (0, f"{server.state.unread_count(server.user())}\n"), err
    assert took < 6  # 1 s for the agent, then the server itself (not the agent's 10 s)


async def test_a_tail_attaching_to_an_agent_whose_session_ended_says_so_once_and_exits_2(
    server, home
):
    assert (await login(server, home))[0] == 0
    async with agent_in_process(server, home) as agent:
        stored = json.loads(next((home / "config" / "sessions").glob("*.json")).read_text())
        server.state.revoke(stored["refresh"])
        await server.close_sockets(DEMO_EMAIL, 4001)
        await wait_for(lambda: agent.controller.needs_login, 10, what="the session over")
        code, out, _ = await run_cli(home, "--server", server.url, "tail", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    errors = [line for line in lines if line.get("event") == "error"]
    assert code == 2
    assert errors == [
        {
            "event": "error",
            "message": f"session expired — run `tiri-tui --server {server.url} login`",
        }
    ]
