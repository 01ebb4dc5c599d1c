"""Start-up as a user meets it: `exec` of the installed command to the first
painted row, seen in a real pseudo-terminal's output, from a normal
(non-editable) install in a throw-away venv; beside a minimal Textual app
that paints one line, started the same way.

An editable install re-compiles the project's modules at every start here
(``PYTHONDONTWRITEBYTECODE`` is set), so it would measure the wrong thing.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import ROOT
from benchmarks.terminal_timing import time_to_text

FLOOR_APP = """
from textual.app import App
from textual.widgets import Static

class Floor(App):
    def compose(self):
        yield Static("floor row painted")

Floor().run()
"""


@contextlib.contextmanager
def throwaway_install() -> Iterator[Path]:
    """A fresh venv with tiri-tui installed normally (a wheel, byte-compiled)."""
    with tempfile.TemporaryDirectory(prefix="tiri-bench-venv-") as where:
        venv = Path(where)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)],
            check=True,
            capture_output=True,
        )
        yield venv


def prepared_home(home: Path, rows: int = 1000) -> str:
    """A session and a cache of ``rows`` for a server that is down; returns the server."""
    import jwt

    from tests.support.fakes import notifications
    from tiri_tui.connection.auth import FileTokenStore, Session
    from tiri_tui.settings.config import Settings
    from tiri_tui.sync.store import NotificationCache

    settings = Settings(server="http://127.0.0.1:1", home=home)
    far = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    access = jwt.encode({"exp": far, "iat": far - 3600, "user_id": "1"}, "x" * 32, "HS256")
    FileTokenStore(settings.config_dir / "sessions").save(
        settings.server, Session(access, "refresh-token-not-used", "demo@tiri.local", "1")
    )
    cache = NotificationCache(settings.cache_dir / f"{settings.account_slug('1')}.sqlite3")
    cache.replace(notifications(rows), rows // 3)
    cache.close()
    return settings.server


def measure(runs: int) -> dict[str, list[float]]:
    """Start-up of ours and of the floor app, ``runs`` times each, interleaved;
    then an attached dashboard's start against a standalone one (same install)."""
    from benchmarks import agent_start

    ours, floor = [], []
    with throwaway_install() as venv, tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        server = prepared_home(home)
        floor_script = Path(scratch) / "floor.py"
        floor_script.write_text(FLOOR_APP)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": scratch,
            "TERM": "xterm-256color",
            "TIRI_HOME": str(home),
            "PYTHONDONTWRITEBYTECODE": "1",  # as on these machines: the wheel is compiled
        }
        python = str(venv / "bin" / "python")
        command = [str(venv / "bin" / "tiri-tui"), "--server", server]
        for _ in range(runs):
            ours.append(time_to_text(command, b"Request Accepted #0", env))
            floor.append(time_to_text([python, str(floor_script)], b"floor row painted", env))
        attached = agent_start.measure(venv, Path(scratch), runs)
    return {"ours_s": ours, "floor_s": floor, **attached}
