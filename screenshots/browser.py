"""The README's picture of the dashboard in a browser: `tiri-tui web --demo`
opened in the distribution's Chromium (Playwright, no download).

    python screenshots/browser.py
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent


async def main() -> None:
    web = subprocess.Popen(
        [sys.executable, "-m", "tiri_tui", "web", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert web.stdout is not None
        line = web.stdout.readline()
        url = re.search(r"http://\S+", line)
        assert url, line
        async with async_playwright() as driver:
            chromium = shutil.which("chromium") or shutil.which("chromium-browser")
            browser = await driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = await browser.new_page(viewport={"width": 1280, "height": 720})
            started = time.perf_counter()
            await page.goto(url.group())
            await page.wait_for_timeout(2500)  # the first screenful, connected
            # Focused as a reader's click would (Textual draws the footer's keys
            # only once the app has focus).
            await page.focus("textarea.xterm-helper-textarea")
            await page.wait_for_timeout(800)
            print(f"opened in {time.perf_counter() - started:.1f} s")
            await page.screenshot(path=str(ROOT / "browser.png"))
            await browser.close()
    finally:
        web.terminate()
        web.wait(30)


if __name__ == "__main__":
    asyncio.run(main())
