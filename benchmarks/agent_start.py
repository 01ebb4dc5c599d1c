"""An attached dashboard's start against a standalone one: `exec` of the
installed command to the first painted row, in a real pseudo-terminal, with
the profile's agent running (the dashboard attaches) and with `--no-agent`
(it reads the cache the agent keeps, as a standalone dashboard reads its own).

Both runs use the same install, home and server; they are interleaved.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import ROOT
from benchmarks.terminal_timing import time_to_text
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD

#: The newest row, the one both dashboards paint first (the server's burst of one).
NEWEST = b"Benchmark #1"


@contextlib.contextmanager
def _running(argv: list[str], env: dict[str, str], **options: object) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(argv, env=env, **options)  # type: ignore[call-overload]
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _agent_answers(tiri: str, server: str, env: dict[str, str]) -> bool:
    status = subprocess.run(
        [tiri, "--server", server, "agent", "status"], env=env, capture_output=True, text=True
    )
    return status.returncode == 0 and "connection: connected" in status.stdout


def measure(venv: Path, scratch: Path, runs: int) -> dict[str, list[float]]:
    """Start to first painted row, attached and standalone, ``runs`` times each."""
    home, runtime = scratch / "agent-home", scratch / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(scratch),
        "TERM": "xterm-256color",
        "TIRI_HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    tiri = str(venv / "bin" / "tiri-tui")
    server_argv = [sys.executable, "-m", "benchmarks.server_proc"]
    with _running(
        server_argv, os.environ.copy(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
    ) as steered:
        assert steered.stdin is not None and steered.stdout is not None
        server = json.loads(steered.stdout.readline())["url"]
        steered.stdin.write(b"burst 1\n")
        steered.stdin.flush()
        steered.stdout.readline()
        subprocess.run(
            [tiri, "--server", server, "login", "--email", DEMO_EMAIL, "--password-stdin"],
            input=DEMO_PASSWORD.encode(),
            env=env,
            check=True,
            capture_output=True,
        )
        agent_argv = [tiri, "--server", server, "agent"]
        with _running(agent_argv, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            deadline = time.monotonic() + 30
            while not _agent_answers(tiri, server, env):
                if time.monotonic() > deadline:
                    raise RuntimeError("the agent did not start")
                time.sleep(0.1)
            time.sleep(3)  # its cache saved (every 2 s): the standalone start reads it
            attached: list[float] = []
            standalone: list[float] = []
            for _ in range(runs):
                attached.append(time_to_text([tiri, "--server", server], NEWEST, env))
                standalone.append(
                    time_to_text([tiri, "--server", server, "--no-agent"], NEWEST, env)
                )
        steered.stdin.write(b"quit\n")
        steered.stdin.flush()
    return {"attached_s": attached, "standalone_s": standalone}
