"""The chaos soak: faults fire while notifications flow and marks are made; then audit.

One in-process demo server, the fault proxy in front of it, our controller
(marking read as a user would) and a `tiri-tui tail --json` process, both
through the proxy. Faults come from a seeded schedule so a failure replays.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import gc
import json
import logging
import os
import random
import re
import resource
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.chaos.proxy import FaultProxy
from tests.conftest import FAST_REALTIME, spawn_cli
from tiri_tui.client import TiriClient
from tiri_tui.config import Settings
from tiri_tui.controller import ControllerSettings
from tiri_tui.events import NotificationAdded, NotificationRemoved
from tiri_tui.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer

CLOSE_CODES = (1000, 1001, 1011, 1012, 1013, 3000, 4001, 4003, 1008, None)
GARBAGE = (
    "not json",
    "[1, 2]",
    '{"type": "surprise"}',
    '{"type": "notification", "data": {"id": 5}}',
    '{"type": "unread_count", "data": {"unread_count": "many"}}',
    "\x00\x1b[2J",
)
# (fault, weight)
FAULTS = (
    ("drop", 3),
    ("delay", 2),
    ("stall", 2),
    ("cut", 2),
    ("refuse", 2),
    ("close", 3),
    ("restart", 1),
    ("garbage", 2),
    ("route500", 1),
    ("error_frame", 1),
)

# The suite's fast timings, with quicker heartbeats and a short slow retry:
# faults come faster here than anywhere else.
REALTIME = dataclasses.replace(
    FAST_REALTIME,
    ping_interval=0.4,
    ping_timeout=0.4,
    policy=dataclasses.replace(FAST_REALTIME.policy, max_delay=0.3, slow_retry=0.5),
)
CONTROLLER = ControllerSettings(fallback_interval=0.3, gap_fill_max_pages=100, page_size=20)
TAIL_CONFIG = """\
fallback_interval = 0.3
gap_fill_max_pages = 100
ping_interval = 0.4
ping_timeout = 0.4
reconnect_base_delay = 0.05
reconnect_max_delay = 0.3
slow_retry = 0.5
"""


@dataclass
class ChaosReport:
    faults: collections.Counter = field(default_factory=collections.Counter)
    created: int = 0
    marks: int = 0
    mark_alls: int = 0
    lost: list[str] = field(default_factory=list)
    read_state_mismatches: list[str] = field(default_factory=list)
    marks_not_on_server: list[str] = field(default_factory=list)
    tail_missing: list[str] = field(default_factory=list)
    tail_duplicates: list[str] = field(default_factory=list)
    leaked_tasks: int = 0
    leaked_fds: int = 0
    leaked_connections: int = 0
    rss_growth_mb: float = 0.0
    #: Memory allocated after the first quarter and still alive at the end,
    #: not counting the notifications themselves (server, client and tail log
    #: legitimately hold every one): what a leak would show up in.
    machinery_growth_mb: float = 0.0
    lost_histories: collections.Counter = field(default_factory=collections.Counter)
    seconds: float = 0.0
    reconnects: int = 0
    frames_dropped: int = 0
    fallback_refreshes: int = 0

    def summary(self) -> str:
        return (
            f"{sum(self.faults.values())} faults ({dict(sorted(self.faults.items()))}) in {self.seconds:.0f} s; "
            f"{self.created} notifications, {self.marks} marks + {self.mark_alls} mark-alls; "
            f"lost {len(self.lost)}, duplicates {len(self.tail_duplicates)}, tail missing {len(self.tail_missing)}, "
            f"read mismatches {len(self.read_state_mismatches)}, marks not on server {len(self.marks_not_on_server)}; "
            f"reconnects {self.reconnects}, frames dropped {self.frames_dropped}, fallback refreshes "
            f"{self.fallback_refreshes}; leaked tasks {self.leaked_tasks}, fds {self.leaked_fds}, "
            f"connections {self.leaked_connections}; RSS growth {self.rss_growth_mb:.1f} MB, "
            f"of it not notification data {self.machinery_growth_mb:.2f} MB"
            + (f"; lost ones: {dict(self.lost_histories)}" if self.lost_histories else "")
        )


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: Where notification data lives: allocations made from these are data, not leaks.
_DATA_FILES = (
    "tests/chaos/harness.py",
    "tiri_tui/server/",
    "tiri_tui/models.py",
    "tiri_tui/inbox.py",
    "json/decoder.py",  # payloads parsed into the notifications' extra_data
)


def _machinery_growth() -> int:
    if not tracemalloc.is_tracing():
        return 0
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    total = 0
    for stat in snapshot.statistics("traceback"):
        if not any(part in frame.filename for frame in stat.traceback for part in _DATA_FILES):
            total += stat.size
    return total


@contextlib.contextmanager
def _sync_trace(sink: list[tuple[float, str]]) -> Iterator[None]:
    """Record the client's sync decisions into ``sink`` for the run's length.

    The records go only there: kept by pytest's log capture, a soak's
    thousands of debug records would count as growth (and bury the report).
    """
    trace, frames = logging.getLogger("tiri_tui"), logging.getLogger("tiri_tui.websocket")
    saved = trace.level, trace.propagate, frames.level
    handler = _ListHandler(sink)
    trace.setLevel(logging.DEBUG)
    trace.propagate = False
    frames.setLevel(logging.INFO)  # not every frame
    trace.addHandler(handler)
    try:
        yield
    finally:
        trace.removeHandler(handler)
        trace.level, trace.propagate, frames.level = saved[0], saved[1], saved[2]


class _ListHandler(logging.Handler):
    """Keeps the client's sync decisions with their times, for a loss post-mortem."""

    def __init__(self, sink: list) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name.startswith("tiri_tui.") and (
            "sync" in message or "gap" in message or "connection " in message
        ):
            self.sink.append((time.monotonic(), message))


_SYNC_MOVE = re.compile(r"^in sync up to (?P<moment>.+?) \((?P<why>[^)]*)\)$")


def sync_moment(message: str) -> datetime | None:
    """The moment of an "in sync up to <moment> (<why>)" line, else None."""
    match = _SYNC_MOVE.match(message)
    return datetime.fromisoformat(match["moment"]) if match else None


def post_mortem(created: str, when: float, sync_log: list[tuple[float, str]]) -> list[str]:
    """The client's sync decisions from just before a lost one was sent to the
    move of the sync point that passed it (the one that skipped it)."""
    born = datetime.fromisoformat(created.replace("Z", "+00:00")) if created != "?" else None
    lines = []
    for stamp, message in sync_log:
        if stamp < when - 0.3:
            continue
        lines.append(f"{stamp - when:+.3f} {message}")
        moment = sync_moment(message)
        if born is not None and moment is not None and moment >= born:
            lines.append("   ^ this move passed it")
            break
    return lines


async def _until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"chaos: timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Chaos:
    def __init__(self, faults: int, seed: int, workdir: Path) -> None:
        self.count = faults
        self.rng = random.Random(seed)
        self.workdir = workdir
        self.report = ChaosReport()
        self.created_ids: list[str] = []
        self.marked: set[str] = set()
        self.all_read_snapshots: list[set[str]] = []
        self.tail_lines: list[dict] = []
        self.sync_log: list[tuple[float, str]] = []

    async def run(self) -> ChaosReport:
        """Inject every fault, converge, audit; the report says what broke."""
        with _sync_trace(self.sync_log):
            return await self._run()

    async def _run(self) -> ChaosReport:
        started = time.monotonic()
        # No rotation: a refresh whose answer a fault destroys would leave a
        # rotating server's only valid refresh token unknown to every client.
        self.server = DemoServer(
            port=0, seed_count=30, access_lifetime=20, rotate_refresh_tokens=False
        )
        await self.server.start()
        self.proxy = FaultProxy(self.server.port)
        await self.proxy.start()
        fds_before = _fds()
        tasks_before = len(asyncio.all_tasks())
        tail = await self._start_tail()
        client = TiriClient(
            Settings(server=self.proxy.url, home=self.workdir / "client"),
            realtime=REALTIME,
            controller=CONTROLLER,
            http_timeout=2.0,
        )
        await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        self.controller = client.open_controller()
        self.history: dict[str, list[str]] = collections.defaultdict(list)
        self.sent_to: dict[str, tuple[float, int]] = {}
        self.controller.subscribe(self._record)
        await self.controller.start()
        await _until(
            lambda: self.controller.state is ConnectionState.CONNECTED, 10, "first connect"
        )
        creator = asyncio.create_task(self._create_continuously())
        user = asyncio.create_task(self._act_like_a_user())
        rss_quarter = None
        try:
            for number in range(self.count):
                await self._one_fault()
                if number == self.count // 4:
                    rss_quarter = _rss_mb()
                    tracemalloc.start(12)
        finally:
            creator.cancel()
            user.cancel()
            await asyncio.gather(creator, user, return_exceptions=True)
            await self._heal()
        await self._converge()
        await self._audit(tail)
        c = self.controller.counters
        self.report.reconnects, self.report.frames_dropped = c.reconnects, c.frames_dropped
        self.report.fallback_refreshes = c.fallback_refreshes
        await client.aclose()
        self.report.leaked_tasks = self.controller.live_tasks()
        await self._stop_tail(tail)
        await _until(lambda: self.proxy.open_links == 0, 10, "proxy links to close")
        gc.collect()
        self.report.leaked_connections = sum(
            1 for o in gc.get_objects() if type(o).__name__ == "ClientConnection"
        )
        await asyncio.sleep(0.2)  # sockets closed by the peers' last packets
        self.report.leaked_fds = max(0, _fds() - fds_before)
        stray = [t for t in asyncio.all_tasks() if not t.done()]
        self.report.leaked_tasks += max(0, len(stray) - tasks_before)
        self.report.rss_growth_mb = _rss_mb() - (rss_quarter or _rss_mb())
        self.report.machinery_growth_mb = _machinery_growth() / 1e6
        await self.proxy.stop()
        await self.server.stop()
        self.report.seconds = time.monotonic() - started
        return self.report

    def _record(self, event: object) -> None:
        """What happened to each id in the client (for diagnosing a loss)."""
        if isinstance(event, NotificationAdded):
            self.history[event.notification.id].append(
                "added live" if event.live else "added fetched"
            )
        elif isinstance(event, NotificationRemoved):
            self.history[event.notification_id].append("removed")

    # -- the world going on -------------------------------------------------------------
    async def _create_continuously(self) -> None:
        while True:
            sockets = len(self.server.sockets.get(self.server.user().id, ()))
            notification = await self.server.create_notification(
                title=f"chaos {len(self.created_ids)}"
            )
            self.sent_to[notification["id"]] = (time.monotonic(), sockets)
            self.created_ids.append(notification["id"])
            self.report.created += 1
            await asyncio.sleep(self.rng.uniform(0.01, 0.05))

    async def _act_like_a_user(self) -> None:
        while True:
            await asyncio.sleep(self.rng.uniform(0.05, 0.2))
            unread = [n.id for n in self.controller.inbox if not n.is_read][:50]
            if self.rng.random() < 0.03:
                self.all_read_snapshots.append({n.id for n in self.controller.inbox})
                self.controller.mark_all_read()
                self.report.mark_alls += 1
            elif unread:
                target = self.rng.choice(unread)
                self.controller.mark_read(target)
                self.marked.add(target)
                self.report.marks += 1

    # -- faults ---------------------------------------------------------------------------
    async def _one_fault(self) -> None:
        kinds, weights = zip(*FAULTS, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        window = self.rng.uniform(0.05, 0.4)
        proxy, server = self.proxy, self.server
        if kind == "drop":
            proxy.drop_all()
        elif kind == "delay":
            proxy.delay = self.rng.uniform(0.02, 0.2)
            await asyncio.sleep(window)
        elif kind == "stall":
            proxy.stall()
            await asyncio.sleep(self.rng.uniform(0.3, 1.2))  # long enough for heartbeats to notice
        elif kind == "cut":
            proxy.cut_next = True
            await asyncio.sleep(window)
        elif kind == "refuse":
            proxy.refusing = True
            proxy.drop_all()
            await asyncio.sleep(window)
        elif kind == "close":
            code = self.rng.choice(CLOSE_CODES)
            kind = f"close {code or 'abort'}"
            await server.close_sockets(DEMO_EMAIL, code, "chaos")
        elif kind == "restart":
            await server.stop(close_code=self.rng.choice((1001, None)))
            await asyncio.sleep(window)
            await server.start()
        elif kind == "garbage":
            for text in self.rng.sample(GARBAGE, 3):
                await server.send_raw(DEMO_EMAIL, text)
        elif kind == "route500":
            server.ws_route_status = 500
            await server.close_sockets(DEMO_EMAIL, 1011)
            await asyncio.sleep(window)
        elif kind == "error_frame":
            await server.send_raw(
                DEMO_EMAIL, json.dumps({"type": "error", "error": "chaos [b]x[/b]"})
            )
        self.report.faults[kind] += 1
        await self._heal(press_r=self.rng.random() < 0.5)
        await asyncio.sleep(self.rng.uniform(0.05, 0.15))

    async def _heal(self, press_r: bool = True) -> None:
        self.proxy.heal()
        self.server.ws_route_status = None
        self.server.answer_pings = True
        if not self.server.running:
            await self.server.start()
        if press_r and self.controller.state is ConnectionState.ERROR:
            self.controller.reconnect()  # as a user would, seeing red

    # -- the end ----------------------------------------------------------------------------
    async def _converge(self) -> None:
        if self.controller.state is not ConnectionState.CONNECTED:
            self.controller.reconnect()
        await _until(
            lambda: self.controller.state is ConnectionState.CONNECTED,
            20,
            "reconnect after the storm",
        )
        await _until(lambda: self.controller.outbox.pending_count == 0, 20, "outbox to drain")
        wanted = set(self.created_ids)
        with contextlib.suppress(AssertionError):  # what is still missing is reported as lost
            await _until(
                lambda: wanted <= {n.id for n in self.controller.inbox}, 20, "every notification"
            )

        def read_states_agree() -> bool:
            by_id = self.server.user().by_id
            return all(
                n.is_read == by_id[n.id]["is_read"] for n in self.controller.inbox if n.id in by_id
            )

        with contextlib.suppress(AssertionError):  # reported as mismatches
            await _until(read_states_agree, 20, "read states to agree")

    async def _audit(self, tail) -> None:  # type: ignore[no-untyped-def]
        by_id = self.server.user().by_id
        held = {n.id: n for n in self.controller.inbox}
        self.report.lost = [i for i in self.created_ids if i not in held]
        self.report.lost_histories = collections.Counter(
            " → ".join(self.history.get(i, ["never added"])) for i in self.report.lost
        )
        for lost in self.report.lost[:3]:
            when, sockets = self.sent_to.get(lost, (0.0, -1))
            created = by_id[lost]["created_at"] if lost in by_id else "?"
            print(
                f"\nLOST {lost} created {created} at t={when:.3f}, server sockets then: {sockets}"
            )
            for line in post_mortem(created, when, self.sync_log):
                print("   " + line)
        must_be_read = (
            set(self.marked).union(*self.all_read_snapshots)
            if self.all_read_snapshots
            else set(self.marked)
        )
        self.report.marks_not_on_server = [
            i for i in must_be_read if i in by_id and not by_id[i]["is_read"]
        ]
        wanted = set(self.created_ids)

        def tail_has_all() -> bool:
            return wanted <= {
                e["notification"]["id"] for e in self.tail_lines if e.get("event") == "notification"
            }

        with contextlib.suppress(AssertionError):  # reported below as missing
            await _until(tail_has_all, 30, "tail to show every notification")
        shown = collections.Counter(
            e["notification"]["id"] for e in self.tail_lines if e.get("event") == "notification"
        )
        self.report.tail_missing = [i for i in self.created_ids if shown[i] == 0]
        self.report.tail_duplicates = [i for i, count in shown.items() if count > 1]

    # -- the tail process -------------------------------------------------------------------------
    async def _start_tail(self):  # type: ignore[no-untyped-def]
        home = self.workdir / "tail"
        (home / "config").mkdir(parents=True)
        (home / "config" / "config.toml").write_text(TAIL_CONFIG)
        login = await spawn_cli(
            home,
            "--server",
            self.proxy.url,
            "login",
            "--email",
            DEMO_EMAIL,
            "--password-stdin",
            stdin=asyncio.subprocess.PIPE,
        )
        await login.communicate(DEMO_PASSWORD.encode() + b"\n")
        assert login.returncode == 0, "tail login failed"
        process = await spawn_cli(home, "--server", self.proxy.url, "tail", "--json")
        reader = asyncio.create_task(self._read_tail(process))
        await _until(
            lambda: any(e.get("state") == "connected" for e in self.tail_lines),
            15,
            "tail to connect",
        )
        return process, reader

    async def _read_tail(self, process) -> None:  # type: ignore[no-untyped-def]
        while line := await process.stdout.readline():
            self.tail_lines.append(json.loads(line))

    async def _stop_tail(self, tail) -> None:  # type: ignore[no-untyped-def]
        process, reader = tail
        process.send_signal(2)
        await asyncio.wait_for(process.wait(), 15)
        await reader
