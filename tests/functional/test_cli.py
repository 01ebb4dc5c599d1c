"""The `tiri-tui` command as a user runs it: a real process against the in-process server."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import pytest

from tests.support.cli import login, run_cli, spawn_cli
from tiri_tui.commands.cli import build_parser, main
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD


async def test_login_confirms_in_one_line_and_stores_a_private_session(server, home):
    code, out, err = await login(server, home)
    assert code == 0, err
    assert out.strip() == f"Logged in to {server.url} as {DEMO_EMAIL}."
    sessions = list((home / "config" / "sessions").glob("session-*.json"))
    assert len(sessions) == 1
    assert sessions[0].stat().st_mode & 0o777 == 0o600
    assert (home / "config" / "sessions").stat().st_mode & 0o777 == 0o700


async def test_bad_credentials_exit_nonzero_with_the_servers_message(server, home):
    code, out, err = await login(server, home, password="wrong")
    assert code == 2 and out == ""
    assert "No active account found with the given credentials" in err
    assert "Traceback" not in err


async def test_bad_credentials_400_style_also_shows_the_message(server, home):
    server.faults.login_error_status = 400
    code, _, err = await login(server, home, password="wrong")
    assert code == 2 and "Unable to log in with provided credentials." in err


async def test_unreachable_server_is_a_clear_error(home):
    code, _, err = await run_cli(
        home,
        "--server",
        "http://127.0.0.1:9",
        "login",
        "--email",
        "a@b",
        "--password-stdin",
        stdin="x\n",
    )
    # What failed, named as the user typed it.
    assert code == 1 and "cannot reach http://127.0.0.1:9" in err and "Traceback" not in err


async def test_tail_without_login_exits_2(server, home):
    code, _, err = await run_cli(home, "--server", server.url, "tail", "--json")
    # The command to paste logs in to this server, not the default one.
    assert code == 2 and "not logged in" in err
    assert f"tiri-tui --server {server.url} login" in err


async def test_logout_forgets_the_session_and_revokes_it(server, home):
    await login(server, home)
    stored = json.loads(next((home / "config" / "sessions").glob("*.json")).read_text())
    code, out, _ = await run_cli(home, "--server", server.url, "logout")
    assert code == 0 and out.strip() == f"Logged out of {server.url}."
    assert not list((home / "config" / "sessions").glob("*.json"))
    from tiri_tui.server.state import TokenInvalid

    with pytest.raises(TokenInvalid):
        server.state.decode(stored["refresh"], "refresh")


async def test_tail_json_event_stream_line_by_line(server, home):
    await login(server, home)
    process = await spawn_cli(home, "--server", server.url, "tail", "--json", "-n", "2")
    lines: list[dict] = []

    async def read_until(predicate, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while not any(predicate(line) for line in lines):
                raw = await process.stdout.readline()
                assert raw, "tail ended early"
                lines.append(json.loads(raw))  # every line is one JSON object

    try:
        await read_until(
            lambda e: (
                e
                == {
                    "event": "state",
                    "state": "connected",
                    "code": "connected",
                    "reason": "connected",
                }
            )
        )
        await read_until(lambda e: e["event"] == "notification")
        newest = server.user().notifications[:2]
        await read_until(lambda e: sum(x["event"] == "notification" for x in lines) >= 2)
        shown = [e["notification"]["id"] for e in lines if e["event"] == "notification"]
        assert shown == [newest[1]["id"], newest[0]["id"]]  # the 2 newest, oldest first
        assert lines[0] == {
            "event": "state",
            "state": "connecting",
            "code": "connecting",
            "reason": "connecting",
        }
        assert any(e["event"] == "unread_count" for e in lines)

        created = await server.create_notification(title="tail me \x1b[31m")
        await read_until(
            lambda e: e["event"] == "notification" and e["notification"]["id"] == created["id"]
        )
        event = next(
            e
            for e in lines
            if e["event"] == "notification" and e["notification"]["id"] == created["id"]
        )
        assert event["notification"]["title"] == "tail me \x1b[31m"
        server.state.set_read(server.user(), created["id"], True)
        await server.broadcast_changes(server.user(), [created])
        await read_until(
            lambda e: e["event"] == "updated" and e["notification"]["id"] == created["id"]
        )
        await read_until(
            lambda e: (
                e["event"] == "unread_count"
                and e["unread_count"] == server.state.unread_count(server.user())
            )
        )
        await server.send_raw(DEMO_EMAIL, '{"type": "error", "error": "something broke"}')
        await read_until(
            lambda e: e == {"event": "error", "message": "server error: something broke"}
        )
        ids = [e["notification"]["id"] for e in lines if e["event"] == "notification"]
        assert len(ids) == len(set(ids))
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 10)
    assert code == 0
    raw_stdout = await process.stdout.read()
    assert b"\x1b" not in raw_stdout  # escapes stay JSON-escaped


async def test_tail_exits_2_with_an_error_event_when_the_session_ends(server, home):
    await login(server, home)
    process = await spawn_cli(home, "--server", server.url, "tail", "--json")
    stored = json.loads(next((home / "config" / "sessions").glob("*.json")).read_text())
    try:
        async with asyncio.timeout(10):
            while b'"connected"' not in await process.stdout.readline():
                pass
        server.state.revoke(stored["refresh"])
        await server.close_sockets(DEMO_EMAIL, 4001)
        code = await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
    rest = (await process.stdout.read()).decode().splitlines()
    assert code == 2
    advice = f"session expired — run `tiri-tui --server {server.url} login`"
    assert {"event": "error", "message": advice} in [json.loads(x) for x in rest]


async def test_tail_readable_form_escapes_control_characters(server, home):
    await login(server, home)
    process = await spawn_cli(home, "--server", server.url, "tail")
    try:
        async with asyncio.timeout(10):
            while b"connected" not in await process.stdout.readline():
                pass
            await server.create_notification(title="\x1b]52;c;ZXZpbA==\x07[bold]x[/]\u202e")
            line = b""
            while b"NEW" not in line:
                line = await process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 10)
    text = line.decode()
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]52;c;ZXZpbA==\\x07[bold]x[/]\\u202e" in text


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0 and "tiri-tui" in capsys.readouterr().out
    help_text = build_parser().format_help()
    for command in ("dashboard", "demo", "serve", "login", "logout", "tail", "--server"):
        assert command in help_text


def test_serve_refuses_a_public_host_without_public(capsys):
    assert main(["serve", "--host", "0.0.0.0"]) == 1
    assert "--public" in capsys.readouterr().err


def test_bad_server_url_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TIRI_HOME", str(tmp_path))
    assert main(["--server", "nonsense", "tail"]) == 1
    assert "server URL must look like" in capsys.readouterr().err


async def test_serve_prints_its_url_and_credentials_and_stops_on_ctrl_c(home):
    process = await spawn_cli(home, "serve", "--port", "0", "--rate", "0")
    first = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
    second = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
    assert first.startswith("Tiri demo server on http://127.0.0.1:")
    assert DEMO_EMAIL in second and DEMO_PASSWORD in second
    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_serve_ws_origins_refuses_other_origins_with_403_and_rest_still_works(home):
    """`serve --ws-origins`: the demo as a deployment whose socket takes only its
    web app's Origin, to try `doctor` and `--origin` on."""
    import httpx
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    process = await spawn_cli(
        home, "serve", "--port", "0", "--rate", "0",
        "--ws-origins", "https://app.example.com, http://localhost:3000",
    )  # fmt: skip
    try:
        lines = []
        async with asyncio.timeout(10):
            while not lines or not lines[-1].startswith("  Ctrl+C"):
                line = await process.stdout.readline()
                assert line, (await process.stderr.read()).decode()
                lines.append(line.decode())
        url = lines[0].split()[-1]
        assert any(
            "accepts only Origin https://app.example.com, http://localhost:3000" in x for x in lines
        )
        assert any("--origin https://app.example.com" in x for x in lines)
        async with httpx.AsyncClient(base_url=url) as http:
            answer = await http.post(
                "/api/auth/login/", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            )
            access = answer.json()["tokens"]["access"]
            count = await http.get(
                "/api/notifications/notifications/unread_count/",
                headers={"Authorization": f"Bearer {access}"},
            )
            assert count.status_code == 200
        socket = url.replace("http://", "ws://") + f"/ws/notifications/?token={access}"
        with pytest.raises(InvalidStatus) as caught:
            async with connect(socket, origin=url):  # the server's own: refused
                pass
        assert caught.value.response.status_code == 403
        async with connect(socket, origin="http://localhost:3000") as ws:
            assert json.loads(await ws.recv())["type"] == "connection_ack"
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 10)


def test_serve_ws_origins_names_what_is_not_an_origin(capsys):
    assert main(["serve", "--ws-origins", "https://app.example.com/login"]) == 1
    assert "not an origin: 'https://app.example.com/login'" in capsys.readouterr().err


def test_start_up_imports_no_network_library(tmp_path):
    """The first paint of the cache needs none of them: they cost ~25 ms of
    imports, loaded on a thread afterwards."""
    import subprocess
    import sys

    from tiri_tui.client import NETWORK_MODULES

    roots = sorted({name.split(".")[0] for name in NETWORK_MODULES})
    assert "jwt" in roots
    probe = (
        "import sys; from pathlib import Path\n"
        "import tiri_tui.commands.cli, tiri_tui.ui.app\n"
        "from tiri_tui.client import TiriClient\n"
        "from tiri_tui.settings.config import Settings\n"
        "TiriClient(Settings(server='http://127.0.0.1:1', home=Path(sys.argv[1])))\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {roots!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_the_entry_point_pauses_the_collector_only_until_a_command_that_opens_no_dashboard_runs(
    capsys, monkeypatch
):
    """The script starts with the collector off (start-up builds objects it keeps);
    every command but the dashboard's runs with it on again, or a `tail` left
    open for days would never free a cycle."""
    import gc

    from tiri_tui.commands import entry

    seen: list[bool] = []
    monkeypatch.setattr(gc, "disable", lambda: seen.append(gc.isenabled()))
    monkeypatch.setattr(sys, "argv", ["tiri-tui", "serve", "--host", "0.0.0.0"])
    try:
        assert entry.main() == 1
        assert seen == [True], "the entry point did not pause the collector"
        paused_then_resumed: list[bool] = []
        monkeypatch.setattr(gc, "enable", lambda: paused_then_resumed.append(True))
        assert entry.main() == 1
        assert paused_then_resumed == [True], "serve ran with the collector paused"
    finally:
        monkeypatch.undo()
        gc.enable()
    assert "--public" in capsys.readouterr().err
