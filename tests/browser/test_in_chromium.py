"""The dashboard in a real browser: the distribution's Chromium, driven by
Playwright for Python (no browser download). Skipped, saying why, where
Chromium or Playwright is missing; `.ci/run` installs Chromium first.

xterm.js draws on a canvas, so the page's text is read where the browser
receives it: every byte the dashboard sends over the page's websocket, as
the page's terminal gets it.
"""

from __future__ import annotations

import asyncio
import gc
import re
import shutil
import time
from urllib.parse import urlsplit

import pytest

from tests.support.waiting import wait_for
from tests.support.web import dashboards_running, served
from tiri_tui.commands.web_server import FORBIDDEN
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (apt-get install -y chromium)"
)

#: Installed before the page's own scripts: keeps what the terminal is sent.
CAPTURE = r"""
(() => {
  window.__tiri = "";
  const decoder = new TextDecoder();
  const Native = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    const socket = new Native(url, protocols);
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        window.__tiri += decoder.decode(new Uint8Array(event.data), { stream: true });
      }
    });
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  // The text without its colours and cursor moves (CSI sequences).
  window.__plain = () => window.__tiri.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
})();
"""


@pytest.fixture
async def browser():
    async with playwright.async_playwright() as driver:
        chromium = await driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()
    # Playwright's driver process leaves its stdin transport open until it is
    # collected: collected now, while this test's loop runs, not in a later test.
    gc.collect()
    await asyncio.sleep(0)


async def shown(page) -> str:
    return await page.evaluate("() => window.__tiri")


def last_badge(text: str) -> int | None:
    found = re.findall(r" (\d+) unread ", text)
    return int(found[-1]) if found else None


async def test_the_page_connects_shows_the_badge_and_m_marks_read_on_the_server(
    server, home, monkeypatch, browser
):
    user = server.user(DEMO_EMAIL)
    fresh = await server.create_notification(title="Fresh for the browser", is_read=False)
    async with served(server, home, monkeypatch) as web:
        page = await browser.new_page(viewport={"width": 1400, "height": 800})
        await page.add_init_script(CAPTURE)
        started = time.perf_counter()
        await page.goto(web.url)
        await page.wait_for_function(
            "() => window.__tiri.includes('● connected') && / \\d+ unread /.test(window.__tiri)",
            timeout=30_000,
        )
        connected_after = time.perf_counter() - started
        unread = server.state.unread_count(user)
        text = await shown(page)
        assert last_badge(text) == unread
        assert "Fresh for the browser" in text  # the newest: under the cursor
        # Keys go to xterm's input element (a click would move the cursor to a row).
        await page.focus("textarea.xterm-helper-textarea")
        await page.keyboard.press("m")
        await wait_for(lambda: fresh["is_read"], 15, what="m reached the server")
        expected = server.state.unread_count(user)
        await page.wait_for_function(
            f"() => window.__tiri.lastIndexOf(' {expected} unread ') > "
            f"window.__tiri.lastIndexOf(' {unread} unread ')",
            timeout=15_000,
        )
        await page.screenshot(path=str(home / "browser.png"))
        print(f"page load → connected: {connected_after:.2f} s")
        await page.close()  # the tab closes: its dashboard goes
        await wait_for(lambda: not dashboards_running(), 15, what="the dashboard gone")


async def test_without_the_secret_the_page_is_403(server, home, monkeypatch, browser):
    async with served(server, home, monkeypatch) as web:
        page = await browser.new_page()
        response = await page.goto(web.public_url + "/")
        assert response is not None and response.status == 403
        assert FORBIDDEN in await page.content()


async def open_page(browser, url: str):
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.add_init_script(CAPTURE)
    await page.goto(url)
    return page


async def test_the_login_form_works_in_the_page(server, home, monkeypatch, browser):
    async with served(server, home, monkeypatch, logged_in=False) as web:
        page = await open_page(browser, web.url)
        await page.wait_for_function("() => window.__plain().includes('Log in')", timeout=30_000)
        await page.focus("textarea.xterm-helper-textarea")
        await page.keyboard.type(DEMO_EMAIL)
        await page.wait_for_function(  # typed into the form, not lost before it had focus
            f"() => window.__plain().includes('{DEMO_EMAIL}')", timeout=10_000
        )
        before = await page.evaluate("() => window.__tiri.length")
        await page.keyboard.press("Enter")  # to the password
        # Keys typed before the focus has moved would still reach the e-mail
        # field: wait for the repaint the move causes.
        await page.wait_for_function(f"() => window.__tiri.length > {before}", timeout=10_000)
        await page.keyboard.type(DEMO_PASSWORD)
        await page.keyboard.press("Enter")
        user = server.user(DEMO_EMAIL)
        await wait_for(lambda: server.hub.sockets(user), 30, what="the page's dashboard online")
        await page.wait_for_function(
            "() => window.__plain().includes('● connected')", timeout=30_000
        )
        await page.close()


async def test_o_opens_the_link_in_a_new_browser_tab(server, home, monkeypatch, browser):
    await server.create_notification(
        title="Open me", notification_type="request_accepted", extra_data={"request_id": "r 1/2"}
    )
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        '[links]\nrequest_accepted = "https://tiri.example/requests/{extra_data.request_id}"\n'
    )
    async with served(server, home, monkeypatch) as web:
        page = await open_page(browser, web.url)
        await page.wait_for_function("() => window.__tiri.includes('● connected')", timeout=30_000)
        await page.wait_for_function("() => window.__tiri.includes('Open me')", timeout=30_000)
        await page.context.route("https://tiri.example/**", lambda route: route.fulfill(body="ok"))
        await page.focus("textarea.xterm-helper-textarea")
        async with page.context.expect_page() as opened:
            await page.keyboard.press("o")
        tab = await opened.value
        assert tab.url == "https://tiri.example/requests/r%201%2F2"
        await page.close()


async def test_with_no_network_the_page_works_from_its_address_without_the_slash(
    server, home, monkeypatch, browser
):
    """Every request off 127.0.0.1 is refused and recorded: there must be none,
    and the terminal's font still comes (from this server)."""
    async with served(server, home, monkeypatch) as web:
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        await page.add_init_script(CAPTURE)
        asked: list[str] = []
        refused: list[str] = []

        async def only_this_machine(route) -> None:
            asked.append(route.request.url)
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                await route.continue_()
            else:
                refused.append(route.request.url)
                await route.abort("internetdisconnected")

        await page.route("**/*", only_this_machine)
        response = await page.goto(web.url.rstrip("/"))  # as typed, without its slash
        assert response is not None and response.ok and page.url == web.url
        await page.wait_for_function("() => window.__tiri.includes('● connected')", timeout=30_000)
        await page.evaluate("() => document.fonts.ready")
        assert refused == [], refused
        # The terminal's font came from this server.
        assert any("/static/fonts/RobotoMono" in url for url in asked), asked
        await page.screenshot(path=str(home / "offline.png"))
        await page.close()


async def test_keys_work_at_once_without_a_click(server, home, monkeypatch, browser):
    async with served(server, home, monkeypatch) as web:
        page = await open_page(browser, web.url)
        await page.wait_for_function("() => window.__tiri.includes('● connected')", timeout=30_000)
        await page.keyboard.press("?")  # no click, no focus() first: as a person would
        await page.wait_for_function("() => window.__plain().includes('move down')", timeout=10_000)
        await page.close()
