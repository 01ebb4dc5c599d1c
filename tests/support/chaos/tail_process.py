"""The `tiri-tui tail --json` process a chaos run keeps going through the proxy.

It is the product as a script uses it: its own process, session and cache.
A forced logout ends it (exit 2); the run then logs it in again and starts
it anew with enough backlog to print what it could not print meanwhile.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from pathlib import Path

from tests.support.cli import cli_login, spawn_cli
from tiri_tui.server import DEMO_PASSWORD


class CliLoginFailed(Exception):
    """`tiri-tui login` did not succeed (the network may be mid-fault: try again)."""


class TailProcess:
    """Runs of `tail --json` (one list of parsed lines per run)."""

    def __init__(
        self, home: Path, server_url: str, config: str, *, through_agent: bool = False
    ) -> None:
        self.home = home
        self.server_url = server_url
        #: Each run attaches to a `tiri-tui agent` of the same home (which
        #: holds the connection through the proxy, and meets the faults).
        self.through_agent = through_agent
        self.agent: asyncio.subprocess.Process | None = None
        self._agent_stderr: asyncio.Task[None] | None = None
        self.agent_exits: list[int] = []
        (home / "config").mkdir(parents=True)
        (home / "config" / "config.toml").write_text(config)
        self.runs: list[list[dict]] = []
        #: When each run's last line arrived (monotonic), and how each reader ended.
        self.last_line_at: list[float] = []
        self.reader_errors: list[str] = []
        #: The last lines the runs wrote to stderr (read, or a full pipe would stall them).
        self.stderr: collections.deque[str] = collections.deque(maxlen=50)
        self._process: asyncio.subprocess.Process | None = None
        self._processes: list[asyncio.subprocess.Process] = []
        self._reader: asyncio.Task[None] | None = None
        self._stderr_reader: asyncio.Task[None] | None = None

    async def log_in(self) -> str:
        """Log in through the CLI; return the stored refresh token."""
        code, _, err = await cli_login(
            self.home, "--server", self.server_url, password=DEMO_PASSWORD
        )
        if code != 0:
            raise CliLoginFailed(err.strip()[-300:])
        (session,) = (self.home / "config" / "sessions").glob("session-*.json")
        return str(json.loads(session.read_text())["refresh"])

    async def start(self, backlog: int = 0) -> None:
        """Start a run printing the newest ``backlog`` as it begins."""
        if self.through_agent:
            await self._agent_serving()
        args = ["--server", self.server_url, "tail", "--json"]
        if backlog:
            args += ["-n", str(backlog)]
        self._process = await spawn_cli(self.home, *args)
        self._processes.append(self._process)
        lines: list[dict] = []
        self.runs.append(lines)
        self.last_line_at.append(time.monotonic())
        self._reader = asyncio.create_task(self._read(self._process, lines, len(self.runs) - 1))
        self._stderr_reader = asyncio.create_task(self._drain_stderr(self._process))

    @property
    def lines(self) -> list[dict]:
        """Every line of every run."""
        return [line for run in self.runs for line in run]

    @property
    def exited(self) -> int | None:
        """The current run's exit code, once it has ended by itself."""
        return None if self._process is None else self._process.returncode

    def printed_ids(self) -> set[str]:
        """Every notification id any run printed."""
        return {e["notification"]["id"] for e in self.lines if e.get("event") == "notification"}

    async def wait_connected(self, timeout: float) -> None:
        """Until the current run reports the connected state."""
        run = self.runs[-1]
        async with asyncio.timeout(timeout):
            while not any(e.get("state") == "connected" for e in run):
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Interrupt every run still going (Ctrl+C) and wait for them, then the agent."""
        for process in self._processes:
            if process.returncode is None:
                process.send_signal(2)
                await asyncio.wait_for(process.wait(), 15)
        for reader in (self._reader, self._stderr_reader):
            if reader is not None:
                await reader
        if self.agent is not None and self.agent.returncode is None:
            self.agent.send_signal(15)
            self.agent_exits.append(await asyncio.wait_for(self.agent.wait(), 15))
        if self._agent_stderr is not None:
            await self._agent_stderr

    async def faces_of_agent(self) -> list[str]:
        """The faces attached to the agent and watching it (by name)."""
        from tiri_tui.agent.endpoint import socket_path
        from tiri_tui.agent.link import attach
        from tiri_tui.settings.config import Settings

        link = await attach(
            socket_path(Settings(server=self.server_url, home=self.home)), lambda _e: None
        )
        if link is None:
            return []
        try:
            about = await link.request("status")
        finally:
            await link.aclose()
        return [face["face"] for face in about.get("faces", []) if face.get("watching")]

    async def _agent_serving(self) -> None:
        """The agent running, with a session (it picks a new login up by itself:
        a run started before it has would only be told to log in)."""
        from tiri_tui.agent.endpoint import socket_path
        from tiri_tui.agent.link import AgentLost, AgentRefused, attach
        from tiri_tui.settings.config import Settings

        if self.agent is None or self.agent.returncode is not None:
            if self.agent is not None:
                self.agent_exits.append(self.agent.returncode or 0)
            self.agent = await spawn_cli(self.home, "--server", self.server_url, "agent")
            self._agent_stderr = asyncio.create_task(self._drain_stderr(self.agent))
        path = socket_path(Settings(server=self.server_url, home=self.home))
        async with asyncio.timeout(30):
            while True:
                link = await attach(path, lambda _event: None)
                if link is not None:
                    try:
                        about = await link.request("status")
                        if about.get("loaded") and not about.get("needs_login"):
                            return
                    except (AgentLost, AgentRefused):
                        pass
                    finally:
                        await link.aclose()
                await asyncio.sleep(0.05)

    async def _drain_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            self.stderr.append(line.decode(errors="replace").rstrip())

    def logged_errors(self, count: int = 10) -> list[str]:
        """The last ERROR lines of its log file (a crashed task shows there)."""
        path = self.home / "log" / "tiri-tui.log"
        if not path.exists():
            return []
        lines = path.read_text(errors="replace").splitlines()
        return [line for line in lines if " ERROR " in line][-count:]

    def last_states(self, count: int = 5) -> list[dict]:
        """The current run's last state lines (for a diagnosis)."""
        return [line for line in self.runs[-1] if line.get("event") == "state"][-count:]

    async def _read(self, process: asyncio.subprocess.Process, lines: list[dict], run: int) -> None:
        assert process.stdout is not None
        try:
            while line := await process.stdout.readline():
                lines.append(json.loads(line))
                self.last_line_at[run] = time.monotonic()
        except Exception as exc:  # the diagnosis must say so, not hide it
            self.reader_errors.append(f"run {run}: {exc!r}")
            raise
        await process.wait()
