"""The chaos soak: faults fire while notifications flow and marks are made; then audit.

One in-process demo server as the product meets it in the wild (refresh
tokens rotated and blacklisted, short access tokens whose sockets are closed
4001 as they expire), the fault proxy in front of it, our controller
(marking read as a user would, logging in again when a session is lost) and
a `tiri-tui tail --json` process, both through the proxy. Faults, the world
and the user draw from separate seeded generators, so a seed replays the same
schedule.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import json
import os
import random
import time
import tracemalloc
from pathlib import Path

import msgspec

from tests.support.chaos.proxy import FaultProxy
from tests.support.chaos.report import (
    ChaosReport,
    ProductFailure,
    failure_kind,
    machinery_growth,
    open_fds,
    post_mortem,
    rss_mb,
    sync_trace,
)
from tests.support.chaos.tail_process import CliLoginFailed, TailProcess
from tests.support.clients import FAST_REALTIME
from tiri_tui.client import TiriClient
from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.settings.config import Settings
from tiri_tui.sync.controller import ControllerSettings, NotificationController
from tiri_tui.sync.events import NotificationAdded, NotificationRemoved
from tiri_tui.wire.errors import TiriError

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
    ("late_restart", 1),
    ("garbage", 2),
    ("route500", 1),
    ("error_frame", 1),
)
#: Access tokens live this long: they expire, and sockets are closed 4001, mid-storm.
#: Shorter means more refreshes, so more of them destroyed by faults after the
#: server rotated the token: more forced logouts (TIRI_CHAOS_ACCESS_LIFETIME).
ACCESS_LIFETIME = 10

# The suite's fast timings, with quicker heartbeats and a short slow retry:
# faults come faster here than anywhere else.
REALTIME = msgspec.structs.replace(
    FAST_REALTIME,
    ping_interval=0.4,
    ping_timeout=0.4,
    policy=msgspec.structs.replace(FAST_REALTIME.policy, max_delay=0.3, slow_retry=0.5),
)
CONTROLLER = ControllerSettings(
    fallback_interval=0.3,
    gap_fill_max_pages=100,
    page_size=20,
    reconcile_interval=3.0,
    reconcile_page_delay=0.01,
    subscribe_grace=1.0,
)
TAIL_CONFIG = """\
fallback_interval = 0.3
gap_fill_max_pages = 100
reconcile_interval = 3
ping_interval = 0.4
ping_timeout = 0.4
reconnect_base_delay = 0.05
reconnect_max_delay = 0.3
slow_retry = 0.5
"""


async def _until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for the product to do ``what``; not done in time, a product failure."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise ProductFailure(f"chaos: timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Chaos:
    """One soak: ``faults`` faults drawn from ``seed``, in ``workdir``."""

    def __init__(
        self,
        faults: int,
        seed: int,
        workdir: Path,
        access_lifetime: float = ACCESS_LIFETIME,
        *,
        through_agent: bool = False,
    ) -> None:
        self.count = faults
        #: The tail attaches to an agent (in the middle: it meets the faults).
        self.through_agent = through_agent
        self.access_lifetime = access_lifetime
        self.fault_rng = random.Random(seed)
        self.world_rng = random.Random(seed ^ 0x5EED)
        self.user_rng = random.Random(seed ^ 0xBEEF)
        self.workdir = workdir
        self.report = ChaosReport(seed=seed)
        self.created_ids: list[str] = []
        self.marked: set[str] = set()
        self.all_read_snapshots: list[set[str]] = []
        self.sync_log: list[tuple[float, str]] = []
        self.history: dict[str, list[str]] = collections.defaultdict(list)
        self.sent_to: dict[str, tuple[float, int]] = {}
        #: What controllers retired by a new login held: shown to the user then.
        self.retired_held: set[str] = set()
        #: Controllers retired by a new login: what their tasks did after
        #: closing (a crash on a closed store) counts until the run's end.
        self.retired: list[NotificationController] = []
        self._failures_counted = False
        self._stood = ""
        self._checking = asyncio.Lock()

    async def run(self) -> ChaosReport:
        """Inject every fault, converge, audit; the report says what broke.

        A run that cannot finish still reports what it saw until then, and
        whose fault the stop was (the product's, or the harness's own).
        """
        started = time.monotonic()
        with sync_trace(self.sync_log):
            try:
                return await self._run()
            except Exception as exc:
                self._count_task_failures()
                self.report.crashed = f"{exc!r} ({self._stood or 'no controller yet'})"[:600]
                self.report.crash_kind = failure_kind(exc)
                self.report.seconds = time.monotonic() - started
                return self.report

    def _note_where_things_stood(self) -> None:
        """The dashboard's side as a run ends (for telling whose fault a stop was)."""
        controller = self.controller
        self._stood = (
            f"controller {controller.state.value}/{controller.code.value}, in sync "
            f"{controller.in_sync}, closing {controller.closing}, needs login "
            f"{controller.needs_login}, outbox {controller.outbox.pending_count} pending, "
            f"{len(self.retired)} retired, session "
            f"{'kept' if self.client.auth.session else 'gone'}"
        )

    async def _run(self) -> ChaosReport:
        started = time.monotonic()
        async with contextlib.AsyncExitStack() as cleanup:  # also when a run crashes
            self.server = DemoServer(port=0, seed_count=30, access_lifetime=self.access_lifetime)
            self.server.faults.close_on_token_expiry = True
            await self.server.start()
            cleanup.push_async_callback(self.server.stop)
            self.proxy = FaultProxy(self.server.port)
            await self.proxy.start()
            cleanup.push_async_callback(self.proxy.stop)
            fds_before = open_fds()
            tasks_before = len(asyncio.all_tasks())
            self.tail = TailProcess(
                self.workdir / "tail", self.proxy.url, TAIL_CONFIG, through_agent=self.through_agent
            )
            cleanup.push_async_callback(self.tail.stop)
            self.tail_login = self.server.state.login_of(await self.tail.log_in())
            await self.tail.start()
            await self.tail.wait_connected(15)
            if self.through_agent and await self.tail.faces_of_agent() != ["tail"]:
                raise ProductFailure("chaos: the tail did not attach to the agent")
            self.client = TiriClient(
                Settings(server=self.proxy.url, home=self.workdir / "client"),
                realtime=REALTIME,
                controller=CONTROLLER,
                http_timeout=2.0,
            )
            cleanup.push_async_callback(self.client.aclose)
            cleanup.callback(self._note_where_things_stood)  # before the client closes
            await self._open_controller()
            await _until(
                lambda: self.controller.state is ConnectionState.CONNECTED, 10, "first connect"
            )
            world = [
                asyncio.create_task(self._create_continuously()),
                asyncio.create_task(self._act_like_a_user()),
                asyncio.create_task(self._watch_sessions()),
            ]
            cleanup.push_async_callback(_cancel, world)
            rss_quarter = None
            try:
                for number in range(self.count):
                    await self._one_fault()
                    if number == self.count // 4:
                        rss_quarter = rss_mb()
                        tracemalloc.start(12)
            finally:
                await _cancel(world[:2])
                await self._heal()
            await self._converge()
            await _cancel(world)
            await self._audit()
            c = self.controller.counters
            self.report.reconnects = c.reconnects
            self.report.frames_dropped = self.controller.frames_dropped
            self.report.fallback_refreshes = c.fallback_refreshes
            self.report.refreshes = self.server.state.refresh_calls
            await self.client.aclose()
            self._count_task_failures()
            self.report.leaked_tasks += self.controller.live_tasks()
            await self.tail.stop()
            if any(code != 0 for code in self.tail.agent_exits):
                self.report.task_failures.append(f"the agent exited {self.tail.agent_exits}")
            try:
                await _until(lambda: self.proxy.open_links == 0, 10, "proxy links to close")
            except ProductFailure as exc:
                raise ProductFailure(
                    f"{exc}: still linked {self.proxy.describe_links()}; "
                    f"this process's sockets {self._client_sockets()}"
                ) from None
            gc.collect()
            self.report.leaked_connections = sum(
                1 for o in gc.get_objects() if type(o).__name__ == "ClientConnection"
            )
            await asyncio.sleep(0.2)  # sockets closed by the peers' last packets
            self.report.leaked_fds = max(0, open_fds() - fds_before)
            stray = [t for t in asyncio.all_tasks() if not t.done()]
            self.report.leaked_tasks += max(0, len(stray) - tasks_before)
            self.report.rss_growth_mb = rss_mb() - (rss_quarter or rss_mb())
            self.report.machinery_growth_mb = machinery_growth() / 1e6
        self.report.seconds = time.monotonic() - started
        return self.report

    @staticmethod
    def _client_sockets() -> list[str]:
        """This process's own TCP sockets still open (the client side of any link)."""
        found = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                    found.append(fd)
        return found

    def _record(self, event: object) -> None:
        """What happened to each id in the client (for diagnosing a loss)."""
        if isinstance(event, NotificationAdded):
            self.history[event.notification.id].append(
                "added live" if event.live else "added fetched"
            )
        elif isinstance(event, NotificationRemoved):
            self.history[event.notification_id].append("removed")

    # -- sessions: logging in again, as the user would ------------------------------------
    async def _open_controller(self) -> None:
        await _retrying(lambda: self.client.auth.login(DEMO_EMAIL, DEMO_PASSWORD))
        session = self.client.auth.session
        if session is None:
            raise ProductFailure("the session of the login just made was gone at once")
        self.login = self.server.state.login_of(session.refresh)
        self.controller: NotificationController = self.client.open_controller()
        self.controller.subscribe(self._record)
        await self.controller.start()

    async def _watch_sessions(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            try:
                await self._check_sessions()
            except Exception as exc:  # the run must say so, and the watch go on
                what = f"watching sessions: {exc!r}"[:300]
                kind = failure_kind(exc)
                found = (
                    self.report.product_failures
                    if kind == "product"
                    else self.report.harness_errors
                )
                if what not in found:
                    found.append(what)

    async def _check_sessions(self) -> None:
        # The watcher and the end of the run both check: one at a time, or a
        # tail could be restarted twice and one of them never stopped.
        async with self._checking:
            await self._check_sessions_now()

    async def _check_sessions_now(self) -> None:
        if self.controller.needs_login and self.controller.code is StateCode.SESSION_EXPIRED:
            self._judge_logout(self.login, "dashboard: " + self.controller.reason)
            old = self.controller
            self.retired_held.update(n.id for n in old.inbox)
            self.retired.append(old)
            await old.aclose()
            self.report.leaked_tasks += old.live_tasks()
            await self._open_controller()
        if self.tail.exited is not None:
            await self._restart_tail()

    async def _restart_tail(self) -> None:
        code, last = self.tail.exited, self.tail.runs[-1][-3:]
        if code != 2:
            self.report.task_failures.append(f"tail exited {code}: {last}")
        elif any(line.get("code") == StateCode.LOGIN_AGAIN.value for line in last):
            self.report.auth_gave_up += 1
        else:
            self._judge_logout(self.tail_login, f"tail: {last}")
        unprinted = set(self.created_ids) - self.tail.printed_ids()
        self.tail_login = self.server.state.login_of(await _retrying(self.tail.log_in))
        # The newest ones it could not print while down, and those arriving now.
        await self.tail.start(backlog=len(unprinted) + 100)

    def _judge_logout(self, login: str | None, what: str) -> None:
        """Inherent when the server rotated this login's refresh token and the
        client came back with the old one (the answer was destroyed)."""
        if login is not None and self.server.state.rotated_reuses.get(login, 0):
            self.report.forced_logouts += 1
        else:
            self.report.spurious_logouts.append(what)

    # -- the world going on -------------------------------------------------------------
    async def _create_continuously(self) -> None:
        while True:
            sockets = len(self.server.hub.sockets(self.server.user()))
            notification = await self.server.create_notification(
                title=f"chaos {len(self.created_ids)}"
            )
            self.sent_to[notification["id"]] = (time.monotonic(), sockets)
            self.created_ids.append(notification["id"])
            self.report.created += 1
            await asyncio.sleep(self.world_rng.uniform(0.01, 0.05))

    async def _act_like_a_user(self) -> None:
        while True:
            await asyncio.sleep(self.user_rng.uniform(0.05, 0.2))
            if self.controller.closing:  # being retired: the dashboard is unbound from it
                continue
            unread = [n.id for n in self.controller.inbox if not n.is_read][:50]
            if self.user_rng.random() < 0.03:
                self.all_read_snapshots.append({n.id for n in self.controller.inbox})
                self.controller.mark_all_read()
                self.report.mark_alls += 1
            elif unread:
                target = self.user_rng.choice(unread)
                self.controller.mark_read(target)
                self.marked.add(target)
                self.report.marks += 1

    # -- faults ---------------------------------------------------------------------------
    async def _one_fault(self) -> None:
        rng = self.fault_rng
        kinds, weights = zip(*FAULTS, strict=True)
        kind = rng.choices(kinds, weights)[0]
        window = rng.uniform(0.05, 0.4)
        proxy, server = self.proxy, self.server
        if kind == "drop":
            proxy.drop_all()
        elif kind == "delay":
            proxy.delay = rng.uniform(0.02, 0.2)
            await asyncio.sleep(window)
        elif kind == "stall":
            proxy.stall()
            await asyncio.sleep(rng.uniform(0.3, 1.2))  # long enough for heartbeats to notice
        elif kind == "cut":
            proxy.cut_next = True
            await asyncio.sleep(window)
        elif kind == "refuse":
            proxy.refusing = True
            proxy.drop_all()
            await asyncio.sleep(window)
        elif kind == "close":
            code = rng.choice(CLOSE_CODES)
            kind = f"close {code or 'abort'}"
            await server.close_sockets(DEMO_EMAIL, code, "chaos")
        elif kind in ("restart", "late_restart"):
            await server.stop(close_code=rng.choice((1001, None)))
            if kind == "late_restart":
                # Back, but subscribing sockets only a while after accepting them.
                server.faults.subscribe_delay = rng.uniform(0.05, 0.5)
            await asyncio.sleep(window)
            await server.start()
            await asyncio.sleep(window)
        elif kind == "garbage":
            for text in rng.sample(GARBAGE, 3):
                await server.send_raw(DEMO_EMAIL, text)
        elif kind == "route500":
            server.faults.ws_route_status = 500
            await server.close_sockets(DEMO_EMAIL, 1011)
            await asyncio.sleep(window)
        elif kind == "error_frame":
            await server.send_raw(
                DEMO_EMAIL, json.dumps({"type": "error", "error": "chaos [b]x[/b]"})
            )
        self.report.faults[kind] += 1
        await self._heal(press_r=rng.random() < 0.5)
        await asyncio.sleep(rng.uniform(0.05, 0.15))

    async def _heal(self, press_r: bool = True) -> None:
        self.proxy.heal()
        self.server.faults.ws_route_status = None
        self.server.faults.subscribe_delay = None
        self.server.faults.answer_pings = True
        if not self.server.running:
            await self.server.start()
        if press_r and self.controller.state is ConnectionState.ERROR:
            if self.controller.code is StateCode.LOGIN_AGAIN:
                self.report.auth_gave_up += 1
            self.controller.reconnect()  # as a user would, seeing red

    # -- the end ----------------------------------------------------------------------------
    async def _converge(self) -> None:
        await self._check_sessions()
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
            await _until(lambda: wanted <= self._held(), 20, "every notification")

        def read_states_agree() -> bool:
            by_id = self.server.user().by_id
            return all(
                n.is_read == by_id[n.id]["is_read"] for n in self.controller.inbox if n.id in by_id
            )

        with contextlib.suppress(AssertionError):  # reported as mismatches
            await _until(read_states_agree, 20, "read states to agree")

    def _count_task_failures(self) -> None:
        """Every controller's crashed tasks, once (at the end, or when the run stops)."""
        if self._failures_counted or not hasattr(self, "controller"):
            return
        self._failures_counted = True
        for controller in [*self.retired, self.controller]:
            self.report.task_failures += [
                f"{'' if controller is self.controller else 'retired: '}{failure}"
                for failure in controller.task_failures
            ]

    def _held(self) -> set[str]:
        return {n.id for n in self.controller.inbox} | self.retired_held

    async def _audit(self) -> None:
        by_id = self.server.user().by_id
        held = self._held()
        self.report.lost = [i for i in self.created_ids if i not in held]
        self.report.read_state_mismatches = [
            n.id
            for n in self.controller.inbox
            if n.id in by_id and n.is_read != by_id[n.id]["is_read"]
        ]
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
        must_be_read = set(self.marked).union(*self.all_read_snapshots)
        self.report.marks_not_on_server = [
            i for i in must_be_read if i in by_id and not by_id[i]["is_read"]
        ]
        wanted = set(self.created_ids)
        with contextlib.suppress(AssertionError):  # reported below as missing
            await _until(lambda: wanted <= self.tail.printed_ids(), 30, "tail to print all")
        printed = self.tail.printed_ids()
        self.report.tail_missing = [i for i in self.created_ids if i not in printed]
        if self.report.tail_missing:
            now, order = time.monotonic(), {i: k for k, i in enumerate(self.created_ids)}
            missing = sorted(order[i] for i in self.report.tail_missing)
            first, last = missing[0], missing[-1]
            print(
                f"\nTAIL MISSING {len(missing)}: creation #{first}..#{last} of "
                f"{len(self.created_ids)} (first made {now - self.sent_to[self.created_ids[first]][0]:.0f} s"
                f" ago); runs {[len(r) for r in self.tail.runs]}, last lines "
                f"{[round(now - t) for t in self.tail.last_line_at]} s ago, reader errors "
                f"{self.tail.reader_errors}; its last states:"
            )
            for line in self.tail.last_states():
                print("   ", line)
            print("  its stderr:", *list(self.tail.stderr)[-10:], sep="\n    ")
            print("  its logged errors:", *self.tail.logged_errors(), sep="\n    ")
        for run in self.tail.runs:  # each run prints each at most once
            shown = collections.Counter(
                e["notification"]["id"] for e in run if e.get("event") == "notification"
            )
            self.report.tail_duplicates += [i for i, count in shown.items() if count > 1]


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _retrying(call):  # type: ignore[no-untyped-def]
    """A call the user would simply try again (the network heals between faults)."""
    for _ in range(100):
        try:
            return await call()
        except (TiriError, CliLoginFailed):
            await asyncio.sleep(0.1)
    return await call()
