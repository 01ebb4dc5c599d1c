"""Security: tokens never leak, go only to the configured server, TLS is verified, text is inert."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time

import httpx
import pytest
from aiohttp import web

from tests.support.cli import cli_login, spawn_cli
from tests.support.clients import make_client
from tests.support.dashboards import row_line
from tests.support.tokens import issued_tokens
from tests.support.waiting import wait_for
from tiri_tui.client import TiriClient
from tiri_tui.commands.logs import configure_logging, flush_logs
from tiri_tui.connection.api import TiriApi
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.settings.config import Settings, security_warnings
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.widgets import DetailPane
from tiri_tui.wire.errors import ApiError, ServerUnreachable

HOSTILE = (
    "\x1b[31mRED\x1b[0m \x1b]52;c;ZXZpbA==\x07 [bold red]markup[/] \u202eevil\u202c nul\x00 \x9b2J"
)
FORBIDDEN = ("\x1b", "\x07", "\x00", "\u202e", "\u202c", "\x9b")


async def test_a_full_debug_session_leaks_no_token_anywhere(server, home, tmp_path):
    """Login, tail at DEBUG with a forced refresh and reconnects; then a dashboard screenshot."""
    tokens = issued_tokens(server)
    log_file = tmp_path / "debug.log"
    debug = ("--log-level", "DEBUG", "--log-file", str(log_file), "--server", server.url)
    _, login_out, login_err = await cli_login(home, *debug, password=DEMO_PASSWORD)
    tail = await spawn_cli(home, *debug, "tail", "--json", "-n", "5")
    out = b""
    try:
        async with asyncio.timeout(15):
            while b'"connected"' not in out:
                out += await tail.stdout.readline()
            await server.close_sockets(DEMO_EMAIL, 4001, "expired")  # forces a refresh
            server.faults.ws_route_status = 500
            await server.close_sockets(DEMO_EMAIL, 1011)
            while b"HTTP 500" not in out:  # reconnect attempts refused, with the token in the URL
                out += await tail.stdout.readline()
            server.faults.ws_route_status = None
            await server.create_notification(title="hello")
            while b"hello" not in out:
                out += await tail.stdout.readline()
    finally:
        tail.send_signal(2)
        rest, err = await asyncio.wait_for(tail.communicate(), 15)
    everything = [(login_out + login_err).encode(), out + rest + err, log_file.read_bytes()]

    client = make_client(server, home)
    app = TiriApp(client, bell=False)
    async with app.run_test(size=(120, 32)) as pilot:
        await wait_for(
            lambda: app.controller is not None and app.controller.state is ConnectionState.CONNECTED
        )
        await pilot.press("enter")
        everything.append(app.export_screenshot().encode())
    await client.aclose()

    assert len(tokens) >= 3  # login pair + at least one refresh
    assert b"DEBUG" in everything[2]  # the log really was at debug level
    for blob in everything:
        for token in tokens:
            assert token.encode() not in blob


async def test_next_links_to_another_origin_are_refused_before_any_request(server, client):
    api = TiriApi(server.url, client._http, client.auth)
    for url in (
        "http://evil.example/api/notifications/notifications/?page=2",
        f"https://127.0.0.1:{server.port}/api/notifications/notifications/?page=2",
        f"http://127.0.0.1:{server.port + 1}/api/notifications/notifications/",
    ):
        with pytest.raises(ApiError, match="another server"):
            await api.follow(url)


async def serve_one_route(host: str, handler) -> tuple[web.AppRunner, str]:  # type: ignore[no-untyped-def]
    """A tiny aiohttp app answering the notifications path on a free port."""
    app = web.Application()
    app.router.add_get("/api/notifications/notifications/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    return runner, f"http://{host}:{site.port}"


async def test_redirects_are_not_followed_with_the_token(server, client):
    seen: list[str | None] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"count": 0, "next": None, "previous": None, "results": []})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.2:{other_port}/api/notifications/notifications/")

    other_runner, other_url = await serve_one_route("127.0.0.2", record)
    other_port = int(other_url.rsplit(":", 1)[1])
    front_runner, front_url = await serve_one_route("127.0.0.1", redirect)
    try:
        async with httpx.AsyncClient(base_url=front_url) as http:
            api = TiriApi(front_url, lambda: http, client.auth)
            with pytest.raises(ApiError) as caught:
                await api.list()
        assert caught.value.status == 302
        assert seen == []
    finally:
        await front_runner.cleanup()
        await other_runner.cleanup()


@pytest.mark.parametrize("mode", ["trusted-ca", "no-ca", "insecure"])
async def test_tls_is_verified_by_default(certificates, tmp_path, mode):
    server_context, bundle = certificates
    async with DemoServer(seed_count=3, ssl_context=server_context) as server:
        settings = Settings(
            server=server.url,
            home=tmp_path,
            ca_bundle=bundle if mode == "trusted-ca" else None,
            insecure=mode == "insecure",
        )
        assert settings.socket_url.startswith("wss://")
        client = TiriClient(settings, http_timeout=3)
        try:
            if mode == "no-ca":
                with pytest.raises(ServerUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
                    await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
                return
            await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
            controller = client.open_controller()
            await controller.start()
            await wait_for(lambda: controller.state is ConnectionState.CONNECTED)
            assert bool(security_warnings(settings)) == (mode == "insecure")
        finally:
            await client.aclose()


def test_warnings_for_clear_text_and_insecure():
    assert security_warnings(Settings(server="http://127.0.0.1:8765")) == []
    assert security_warnings(Settings(server="http://localhost:8765")) == []
    assert security_warnings(Settings(server="https://tiriapp.com")) == []
    [warning] = security_warnings(Settings(server="http://tiri.example"))
    assert "clear text" in warning
    [warning] = security_warnings(
        Settings(server="https://tiri.example", ws_url="ws://tiri.example/ws/notifications/")
    )
    assert "clear text" in warning
    assert any(
        "OFF" in w for w in security_warnings(Settings(server="https://x.example", insecure=True))
    )


async def test_the_cli_prints_the_clear_text_warning(tmp_path):
    # Not logged in: logout makes no request, so nothing leaves this machine.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tiri_tui",
        "--server",
        "http://tiri.invalid",
        "logout",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TIRI_HOME": str(tmp_path)},
    )
    _, err = await process.communicate()
    assert b"clear text" in err and process.returncode == 0


async def test_hostile_text_is_inert_in_the_dashboard(server, client):
    app = TiriApp(client, bell=False)
    async with app.run_test(size=(120, 32)) as pilot:
        await wait_for(
            lambda: app.controller is not None and app.controller.state is ConnectionState.CONNECTED
        )
        await server.create_notification(
            title=HOSTILE, message=HOSTILE, notification_type=HOSTILE, extra_data={"note": HOSTILE}
        )
        view = app.query_one(NotificationList)
        await wait_for(lambda: "markup" in row_line(view, 0).text)
        await server.send_raw(DEMO_EMAIL, json.dumps({"type": "error", "error": HOSTILE}))
        await server.close_sockets(DEMO_EMAIL, 4003, "[bold]x[/] \x1b]0;title\x07")
        await wait_for(lambda: app.controller.state is ConnectionState.ERROR)
        view.move_to(0)
        await pilot.press("enter")
        await pilot.pause(0.2)
        shown = [
            row_line(view, 0).text,
            "\n".join(part.plain for part in app.query_one(DetailPane).content.renderables),
            str(app.query_one(TopBar).render()),
            *[n.message + n.title for n in app._notifications],
        ]
        screen = app.export_screenshot()
    for text in shown:
        for char in FORBIDDEN:
            assert char not in text
    assert "\\x1b[31mRED" in shown[0]  # the list row, cut to the narrowed list
    assert "[bold red]markup[/]" in shown[1] and "\\x1b]52;c;ZXZpbA==\\x07" in shown[1]
    assert "[bold red]markup[/]" in screen.replace("&#160;", " ")


async def test_429_retry_after_is_honoured_by_fallback_and_outbox(server, client):
    controller = client.open_controller()
    await controller.start()
    await wait_for(
        lambda: controller.state is ConnectionState.CONNECTED and controller.loaded.is_set()
    )
    target = next(n.id for n in controller.inbox if not n.is_read)
    server.faults.ws_route_status = 500  # the socket stays down: the REST fallback runs every 0.2 s
    await server.close_sockets(DEMO_EMAIL, 1011)
    server.faults.retry_after = 1
    server.faults.throttle_until = time.monotonic() + 2.5
    server.faults.throttled_answers.clear()
    controller.mark_read(target)
    await wait_for(lambda: server.user().by_id[target]["is_read"], timeout=10)
    stamps = server.faults.throttled_answers
    assert len(stamps) >= 2
    # After each 429 the same client waits the Retry-After second (a little scheduling slack).
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) <= 6, stamps
    # Calls already on their way together may each meet the same 429 (once);
    # after it, nobody asks again within Retry-After (the client owns it).
    assert sum(1 for gap in gaps if gap < 0.2) <= 2, gaps
    await controller.aclose()


async def test_oversized_pages_are_refused_not_swallowed(server, client):
    controller = client.open_controller()
    await controller.start()
    await wait_for(lambda: controller.loaded.is_set())
    held = len(controller.inbox)
    server.faults.page_mutator = lambda body: {**body, "padding": "x" * (9 << 20)}
    await controller.refresh()
    assert len(controller.inbox) == held
    server.faults.page_mutator = None
    await controller.aclose()


def test_log_files_are_private_and_masked(tmp_path):
    import logging

    settings = Settings(home=tmp_path, log_level="DEBUG")
    path = configure_logging(settings)
    secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl"
    logging.getLogger("tiri_tui.test").debug("connecting to wss://h/ws/?token=%s", secret)
    flush_logs()  # records are written by the log thread
    text = path.read_text()
    assert "token=***" in text and secret not in text
    assert (path.parent.stat().st_mode & 0o077) == 0
