"""Delivery latency, bursts and reconnects, against the server in another process.

(a) a bare websockets client (the floor), (b) our controller's state, (c) the
row painted by the list widget in a headless dashboard.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
from textual import events
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.common import ROOT, dashboard_app, settle, summary_ms
from benchmarks.stall import StallProbe
from tests.support.fakes import notifications
from tests.support.serving import take_rows
from tiri_tui.client import TiriClient
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD
from tiri_tui.settings.config import Settings
from tiri_tui.sync.controller import NotificationController
from tiri_tui.sync.events import NotificationAdded, StateEvent
from tiri_tui.ui.notification_list import NotificationList

SIZE = (120, 40)


class ServerProcess:
    """The benchmark server (benchmarks/server_proc.py) in its own process."""

    async def __aenter__(self) -> ServerProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.server_proc",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        self.url = json.loads(await self.process.stdout.readline())["url"]
        return self

    async def command(self, text: str) -> dict:
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()
        return json.loads(await self.process.stdout.readline())

    async def __aexit__(self, *exc: object) -> None:
        self.process.stdin.write(b"quit\n")
        await self.process.stdin.drain()
        await asyncio.wait_for(self.process.wait(), 10)


async def _token(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        answer = await http.post(
            "/api/auth/login/", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        )
        return answer.json()["tokens"]["access"]


def _sent(extra_data: dict | None) -> float | None:
    """The server's send stamp carried in a notification's extra_data."""
    return (extra_data or {}).get("sent") or None


async def bare_receive(ws: ClientConnection, latencies: list[float]) -> None:
    """The floor's work: receive, ``json.loads``, note each frame's delivery time."""
    async for message in ws:
        now = time.monotonic()
        frame = json.loads(message)
        if frame.get("type") == "notification" and (sent := _sent(frame["data"].get("extra_data"))):
            latencies.append(now - sent)


async def floor_stream(server: ServerProcess, rate: float, seconds: float) -> list[float]:
    """(a): a bare client that only receives and json.loads."""
    token = await _token(server.url)
    latencies: list[float] = []
    ws_url = server.url.replace("http://", "ws://") + f"/ws/notifications/?token={token}"
    async with connect(ws_url, origin=server.url, compression=None) as ws:
        receiver = asyncio.create_task(bare_receive(ws, latencies))
        await server.command(f"stream {rate} {seconds}")
        await asyncio.sleep(0.2)
        receiver.cancel()
    return latencies


async def floor_burst(server: ServerProcess, count: int) -> float:
    """Seconds from the server's first send until a bare client parsed all ``count``."""
    token = await _token(server.url)
    ws_url = server.url.replace("http://", "ws://") + f"/ws/notifications/?token={token}"
    async with connect(ws_url, origin=server.url, compression=None, max_queue=None) as ws:
        done = asyncio.Event()
        last = {"t": 0.0, "n": 0}

        async def receive() -> None:
            async for message in ws:
                frame = json.loads(message)
                if frame.get("type") == "notification":
                    last["n"] += 1
                    if last["n"] == count:
                        last["t"] = time.monotonic()
                        done.set()

        receiver = asyncio.create_task(receive())
        reply = await server.command(f"burst {count}")
        await asyncio.wait_for(done.wait(), 30)
        receiver.cancel()
    return last["t"] - reply["started"]


class Run:
    """A logged-in client + controller (and optionally the dashboard) for one measurement."""

    def __init__(self, server: ServerProcess, held: int = 0, *, time_delivery: bool = True) -> None:
        self.server = server
        self.held = held
        #: Read each arrival's send stamp (a burst only counts arrivals).
        self.time_delivery = time_delivery

    async def __aenter__(self) -> Run:
        self._home = tempfile.TemporaryDirectory()
        self.client = TiriClient(Settings(server=self.server.url, home=Path(self._home.name)))
        await self.client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        self.controller: NotificationController = self.client.open_controller()
        if self.held:
            take_rows(self.controller, notifications(self.held))
        self.added: collections.Counter[str] = collections.Counter()
        self.latencies: list[float] = []
        self.controller.subscribe(self._observe)
        await self.controller.start()
        await _until(
            lambda: (
                self.controller.state is ConnectionState.CONNECTED
                and self.controller.loaded.is_set()
            )
        )
        # Both start-up fills (the first load, and the one after connecting) done.
        await _until(lambda: self.controller.counters.gap_fills >= 2)
        return self

    def _observe(self, event: object) -> None:
        if isinstance(event, NotificationAdded):
            # Every add counts for "lost/duplicated", whether the socket or a
            # concurrent REST fetch delivered it; only pushed ones time delivery.
            self.added[event.notification.id] += 1
            if event.live and self.time_delivery:
                sent = _sent(event.notification.extra_data)
                if sent:
                    self.latencies.append(time.monotonic() - sent)

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        self._home.cleanup()
        # The next scenario starts clean: a closed controller (100,000 rows
        # in the scaling runs) held in reference cycles would otherwise be
        # collected in the middle of the next one's measurements.
        gc.collect()


def watch_rendered(
    view: NotificationList, sent_of: dict[str, float], painted: dict[str, float]
) -> None:
    """Record, per id, when its row was first drawn (monotonic)."""
    original = view.render_line

    def render_line(y: int):
        strip = original(y)
        index = view.scroll_offset.y + y
        if index < len(view.source):
            nid = view.source[index].id
            if nid not in painted and nid in sent_of:
                painted[nid] = time.monotonic()
        return strip

    view.render_line = render_line


class PairedFloor:
    """``async with PairedFloor(server) as floor:`` a bare client in another
    process receives the same frames meanwhile; then ``floor.summary``."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.summary: dict[str, float] = {}

    async def __aenter__(self) -> PairedFloor:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.floor_client",
            self.server.url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        ready = await asyncio.wait_for(self.process.stdout.readline(), 30)
        if ready.strip() != b"ready":
            raise RuntimeError(f"the floor client did not start: {ready!r}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.process.stdin.write(b"stop\n")
        await self.process.stdin.drain()
        self.summary = json.loads(await asyncio.wait_for(self.process.stdout.readline(), 30))
        await asyncio.wait_for(self.process.wait(), 10)


async def controller_stream(
    server: ServerProcess, rate: float, seconds: float, held: int, with_app: bool
) -> dict:
    """(b) and, with the app, (c); with the loop's stalls meanwhile."""
    async with Run(server, held) as run:
        if not with_app:
            async with StallProbe() as probe:
                await server.command(f"stream {rate} {seconds}")
                await asyncio.sleep(0.2)
            return {"b": run.latencies, "stall": probe.summary()}
        app = dashboard_app(controller=run.controller, bell=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            view = app.query_one(NotificationList)
            sent_of: dict[str, float] = {}
            painted: dict[str, float] = {}

            def remember(event: object) -> None:
                if isinstance(event, NotificationAdded) and event.live:
                    sent = _sent(event.notification.extra_data)
                    if sent:
                        sent_of[event.notification.id] = sent

            run.controller.subscribe(remember)
            watch_rendered(view, sent_of, painted)
            async with StallProbe() as probe:
                await server.command(f"stream {rate} {seconds}")
                await asyncio.sleep(0.3)
            rendered = [painted[nid] - sent_of[nid] for nid in sent_of if nid in painted]
            return {
                "b": run.latencies,
                "c": rendered,
                "missing_paints": len(sent_of) - len(rendered),
                "stall": probe.summary(),
            }


async def burst(server: ServerProcess, count: int, key_every: float = 0.02) -> dict:
    """Absorb ``count`` back-to-back notifications with the dashboard up, pressing a key every 20 ms."""
    async with Run(server, time_delivery=False) as run:
        app = dashboard_app(controller=run.controller, bell=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            view = app.query_one(NotificationList)
            pressed: collections.deque[float] = collections.deque()
            key_delays: list[float] = []
            original = view.action_cursor_down

            def cursor_down() -> None:
                if pressed:
                    key_delays.append(time.perf_counter() - pressed.popleft())
                original()

            view.action_cursor_down = cursor_down
            before = set(run.added)
            last_painted = {"t": 0.0}
            render = view.render_line

            def render_line(y: int):
                strip = render(y)
                last_painted["t"] = time.monotonic()
                return strip

            view.render_line = render_line
            stop = asyncio.Event()

            async def press_keys() -> None:
                while not stop.is_set():
                    pressed.append(time.perf_counter())
                    app.post_message(events.Key("j", "j"))
                    await asyncio.sleep(key_every)

            presser = asyncio.create_task(press_keys())
            async with StallProbe() as probe:
                reply = await server.command(f"burst {count}")
                await _until(lambda: len(set(run.added) - before) >= count, timeout=60)
                in_controller = time.monotonic()
                await _until(lambda: last_painted["t"] > in_controller, timeout=10)
            stop.set()
            await presser
            await pilot.pause()
        new_ids = set(run.added) - before
        duplicates = sum(1 for nid in new_ids if run.added[nid] > 1)
        return {
            "in_controller_s": in_controller - reply["started"],
            "absorbed_s": last_painted["t"] - reply["started"],
            "received": len(new_ids),
            "lost": count - len(new_ids),
            "duplicates": duplicates,
            "key_delay": summary_ms(key_delays),
            "stall": probe.summary(),
        }


async def reconnect(server: ServerProcess, downtime: float = 2.0, missed: int = 5) -> dict:
    """Server restarted on the same port: listening again → connected and gap-filled."""
    async with Run(server) as run:
        delays: list[float] = []
        fills_at_connect: list[int] = []

        def observe(event: object) -> None:
            if isinstance(event, StateEvent):
                if event.retry_in is not None:
                    delays.append(event.retry_in)
                elif event.state is ConnectionState.CONNECTED and delays:
                    # The fill spawned by this very connect is the one to wait for.
                    fills_at_connect.append(run.controller.counters.gap_fills)

        run.controller.subscribe(observe)
        async with StallProbe() as probe:
            reply = await server.command(f"restart {downtime} {missed}")
            await _until(
                lambda: (
                    bool(fills_at_connect)
                    and run.controller.counters.gap_fills > fills_at_connect[0]
                ),
                timeout=60,
            )
        done = time.monotonic()
        return {
            "listening_to_filled_s": done - reply["listening"],
            "backoff_delay_s": delays[-1] if delays else 0.0,
            "retries": len(delays),
            "stall": probe.summary(),
        }


async def _until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.002)
