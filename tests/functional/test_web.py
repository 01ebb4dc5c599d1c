"""`tiri-tui web` without a browser: the secret, what the page carries, and
that closing a tab ends its dashboard (no process, no socket left behind)."""

from __future__ import annotations

import asyncio
import itertools
import re
import signal

import aiohttp

from tests.support.cli import run_cli
from tests.support.waiting import wait_for
from tests.support.web import dashboards_running, served
from tiri_tui.commands.web_server import FORBIDDEN
from tiri_tui.connection.auth import FileTokenStore
from tiri_tui.server import DEMO_EMAIL
from tiri_tui.settings.config import Settings


async def test_only_the_secret_link_opens_the_page_and_it_carries_no_token(
    server, home, monkeypatch
):
    async with served(server, home, monkeypatch) as web, aiohttp.ClientSession() as http:
        base = web.public_url
        for path in ("/", "/not-the-secret/", "/not-the-secret/ws", f"/{web.secret[:-1]}/"):
            async with http.get(base + path) as response:
                assert response.status == 403, path
                assert await response.text() == FORBIDDEN
        async with http.get(web.url) as response:
            assert response.status == 200
            page = await response.text()
        assert f'data-session-websocket-url="ws://127.0.0.1:{web.port}/{web.secret}/ws"' in page
        session = FileTokenStore(Settings(server=server.url, home=home).config_dir / "sessions")
        stored = session.load(server.url)
        assert stored is not None and stored.access not in page and stored.refresh not in page
        async with http.get(base + "/static/js/textual.js") as response:
            assert response.status == 200  # the assets are public: nothing of the user's


async def test_ten_tabs_opened_and_closed_leave_no_dashboard_and_no_socket(
    server, home, monkeypatch
):
    user = server.user(DEMO_EMAIL)
    async with served(server, home, monkeypatch) as web, aiohttp.ClientSession() as http:
        socket_url = f"ws://127.0.0.1:{web.port}/{web.secret}/ws?width=100&height=30"
        for _ in range(10):
            async with http.ws_connect(socket_url) as tab:
                received = 0

                async def read() -> None:
                    nonlocal received
                    async for message in tab:
                        if message.type is aiohttp.WSMsgType.BINARY:
                            received += len(message.data)

                reader = asyncio.create_task(read())
                await wait_for(
                    lambda: server.hub.sockets(user), 20, what="the tab's dashboard online"
                )
                assert dashboards_running(), "a dashboard process per tab"
                assert received > 0
                reader.cancel()
            await wait_for(lambda: not dashboards_running(), 20, what="the tab's dashboard gone")
            await wait_for(lambda: not server.hub.sockets(user), 10, what="its socket closed")


async def test_a_public_host_needs_public(home):
    code, _, err = await run_cli(home, "web", "--host", "0.0.0.0")
    assert code == 1 and "Add --public to insist" in err


async def test_the_secret_without_its_slash_is_sent_to_the_page_and_nothing_else_is(
    server, home, monkeypatch
):
    async with served(server, home, monkeypatch) as web, aiohttp.ClientSession() as http:
        base = web.public_url
        async with http.get(f"{base}/{web.secret}?delay=1", allow_redirects=False) as response:
            assert response.status in (301, 302, 307, 308)
            # Relative, to the same path with its slash: the secret goes nowhere else.
            assert response.headers["Location"] == f"/{web.secret}/?delay=1"
        async with http.get(f"{base}/{web.secret}") as response:
            assert response.status == 200 and str(response.url) == web.url
        for path in ("/not-the-secret", f"/{web.secret[:-1]}", "/static"):
            async with http.get(base + path, allow_redirects=False) as response:
                assert response.status in (403, 404), path  # never a redirect
                assert "Location" not in response.headers


async def test_the_page_asks_for_nothing_beyond_this_server(server, home, monkeypatch):
    """No web fonts or scripts from the internet: the page works offline."""
    async with served(server, home, monkeypatch) as web, aiohttp.ClientSession() as http:
        async with http.get(web.url) as response:
            page = await response.text()
            referrer_policy = response.headers.get("Referrer-Policy")
        addresses = re.findall(r"""(?:href|src)\s*=\s*["']([^"']+)["']|url\(["']?([^"')]+)""", page)
        for address in filter(None, itertools.chain.from_iterable(addresses)):
            if address.startswith("http"):
                assert address.startswith(web.public_url), address
            else:
                assert not address.startswith("//"), address
        assert "fonts.googleapis" not in page
        for font in re.findall(r"static/fonts/[\w.-]+", page):
            async with http.get(f"{web.public_url}/{font}") as response:
                assert response.status == 200, font
        # A link the page opens (o) is not told the secret address it came from.
        assert referrer_policy == "no-referrer"


async def test_web_demo_says_demo_in_the_header_as_the_terminal_demo_does(home):
    import asyncio

    from tests.support.cli import spawn_cli

    process = await spawn_cli(home, "web", "--demo", "--port", "0")
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        url = re.search(r"open (http://\S+/)", line).group(1)
        socket_url = url.replace("http://", "ws://") + "ws?width=120&height=30"
        seen = bytearray()
        async with aiohttp.ClientSession() as http, http.ws_connect(socket_url) as tab:

            async def read() -> None:
                async for message in tab:
                    if message.type is aiohttp.WSMsgType.BINARY:
                        seen.extend(message.data)

            reader = asyncio.create_task(read())
            try:
                await wait_for(lambda: b"(demo)" in seen, 30, what="(demo) in the header")
            finally:
                reader.cancel()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 20)
