"""The WebSocket worker against the in-process demo server: real sockets, short timings."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import msgspec
import pytest

from tests.support.clients import FAST_REALTIME
from tests.support.waiting import wait_for
from tiri_tui.connection.policy import LOGIN_AGAIN, SESSION_EXPIRED, ConnectionState, PolicySettings
from tiri_tui.connection.realtime import (
    ClockJumpDetector,
    FrameDropped,
    FrameReceived,
    RealtimeSettings,
    RealtimeWorker,
    StateChanged,
)
from tiri_tui.server import DEMO_EMAIL, DemoServer
from tiri_tui.settings.config import Settings
from tiri_tui.wire.errors import NotConnected, ServerUnreachable, SessionExpired
from tiri_tui.wire.protocol import ConnectionAck, NotificationFrame, Ping, UnreadCountFrame


class Recorder:
    """Collects the worker's events."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def __call__(self, event: object) -> None:
        self.events.append(event)

    @property
    def states(self) -> list[StateChanged]:
        return [e for e in self.events if isinstance(e, StateChanged)]

    def frames(self, kind: type) -> list[object]:
        return [
            e.frame
            for e in self.events
            if isinstance(e, FrameReceived) and isinstance(e.frame, kind)
        ]

    def count(self, state: ConnectionState) -> int:
        return sum(1 for s in self.states if s.state is state)


class Tokens:
    """A token provider over the real Auth, counting forced refreshes."""

    def __init__(
        self, auth, *, fail_refresh: Exception | None = None, fixed: str | None = None
    ) -> None:
        self.auth = auth
        self.forced = 0
        self.calls = 0
        self.fail_refresh = fail_refresh
        self.fixed = fixed

    async def __call__(self, force_refresh: bool = False) -> str:
        self.calls += 1
        if force_refresh:
            self.forced += 1
            if self.fail_refresh is not None:
                raise self.fail_refresh
        if self.fixed is not None:
            return self.fixed
        return await self.auth.access_token(force_refresh=force_refresh)


def make_worker(
    server: DemoServer, tokens, recorder: Recorder, settings: RealtimeSettings = FAST_REALTIME, **kw
) -> RealtimeWorker:
    cfg = Settings(server=server.url)
    return RealtimeWorker(cfg.socket_url, cfg.ws_origin, tokens, recorder, settings, **kw)


@pytest.fixture
async def running(server, client):
    """A started worker with its recorder and token provider; closed afterwards."""
    recorder = Recorder()
    tokens = Tokens(client.auth)
    worker = make_worker(server, tokens, recorder, rng=lambda: 1.0)
    worker.start()
    yield worker, recorder, tokens
    await worker.aclose()
    assert worker.live_tasks() == 0


async def connected(worker: RealtimeWorker, recorder: Recorder, times: int = 1) -> None:
    await wait_for(
        lambda: (
            recorder.count(ConnectionState.CONNECTED) >= times
            and worker.state is ConnectionState.CONNECTED
        ),
        what=f"connected #{times}",
    )


async def test_connects_records_the_ack_and_receives_frames(server, running):
    worker, recorder, _ = running
    await connected(worker, recorder)
    assert [s.state for s in recorder.states[:2]] == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
    ]
    await wait_for(lambda: recorder.frames(ConnectionAck))
    assert recorder.frames(ConnectionAck)[0].user_id == str(server.user().id)
    created = await server.create_notification(title="hello")
    await wait_for(lambda: recorder.frames(NotificationFrame))
    assert recorder.frames(NotificationFrame)[0].notification.id == created["id"]
    assert recorder.frames(UnreadCountFrame)


@pytest.mark.parametrize("code", [1000, 1001, 1011, 1012, 1013, 3000, None])
async def test_retryable_closes_reconnect_with_backoff(server, running, code):
    worker, recorder, tokens = running
    await connected(worker, recorder)
    await server.close_sockets(DEMO_EMAIL, code)
    await connected(worker, recorder, times=2)
    reconnecting = [s for s in recorder.states if s.state is ConnectionState.RECONNECTING]
    assert reconnecting[0].retry_in == pytest.approx(FAST_REALTIME.policy.base_delay, abs=0.01)
    assert str(code or 1006) in reconnecting[0].reason
    assert tokens.forced == 0


@pytest.mark.parametrize("code", [4003, 1008])
async def test_forbidden_closes_end_in_error_without_retry(server, running, code):
    worker, recorder, _ = running
    await connected(worker, recorder)
    await server.close_sockets(DEMO_EMAIL, code)
    await wait_for(lambda: worker.state is ConnectionState.ERROR)
    assert worker.policy.retry_at is None
    assert "not reconnecting" in worker.policy.reason
    assert recorder.count(ConnectionState.CONNECTED) == 1


async def test_4001_refreshes_the_token_and_reconnects_at_once(server, running):
    worker, recorder, tokens = running
    await connected(worker, recorder)
    refreshes = server.state.refresh_calls
    await server.close_sockets(DEMO_EMAIL, 4001)
    await connected(worker, recorder, times=2)
    assert tokens.forced == 1 and server.state.refresh_calls == refreshes + 1
    assert all(
        s.retry_in is None for s in recorder.states if s.state is ConnectionState.RECONNECTING
    )


async def test_403_handshake_refreshes_once_then_error_when_refresh_fails(server, client):
    recorder = Recorder()
    tokens = Tokens(client.auth, fail_refresh=SessionExpired(server.url), fixed="not-a-valid-token")
    worker = make_worker(server, tokens, recorder)
    worker.start()
    try:
        await wait_for(lambda: worker.state is ConnectionState.ERROR)
        assert worker.policy.reason == SESSION_EXPIRED
        assert tokens.forced == 1
        calls = tokens.calls
        await asyncio.sleep(0.3)  # a window in which a storm would show; nothing may happen
        assert tokens.calls == calls
    finally:
        await worker.aclose()


async def test_403_again_after_a_good_refresh_is_final(server, client):
    recorder = Recorder()
    tokens = Tokens(client.auth, fixed="still-not-valid")
    worker = make_worker(server, tokens, recorder)
    worker.start()
    try:
        await wait_for(lambda: worker.state is ConnectionState.ERROR)
        assert worker.policy.reason == LOGIN_AGAIN
        assert tokens.forced == 1
    finally:
        await worker.aclose()


async def test_route_answering_500_backs_off_rather_than_failing(server, running):
    worker, recorder, _ = running
    await connected(worker, recorder)
    server.faults.ws_route_status = 500
    await server.close_sockets(DEMO_EMAIL, 1011)
    await wait_for(lambda: any("HTTP 500" in s.reason for s in recorder.states))
    assert worker.state is ConnectionState.RECONNECTING
    server.faults.ws_route_status = None
    await connected(worker, recorder, times=2)


async def test_half_open_peer_is_detected_within_interval_plus_timeout(server, running):
    worker, recorder, _ = running
    await connected(worker, recorder)
    server.faults.answer_pings = False
    started = time.monotonic()
    await wait_for(lambda: any("heartbeat" in s.reason for s in recorder.states), timeout=5)
    detected = time.monotonic() - started
    bound = FAST_REALTIME.ping_interval + FAST_REALTIME.ping_timeout
    assert detected <= bound + 0.5, detected
    server.faults.answer_pings = True
    await connected(worker, recorder, times=2)


async def test_server_restart_on_the_same_port_reconnects(server, client):
    recorder = Recorder()
    worker = make_worker(server, Tokens(client.auth), recorder, rng=lambda: 1.0)
    worker.start()
    try:
        await connected(worker, recorder)
        await server.stop()
        await wait_for(
            lambda: len([s for s in recorder.states if s.retry_in]) >= 4, what="several retries"
        )
        delays = [round(s.retry_in, 3) for s in recorder.states if s.retry_in is not None]
        # rng = 1.0: the top of each full-jitter window, doubling to the cap.
        assert delays[:4] == [0.05, 0.1, 0.2, 0.2]
        assert any("not accepting connections" in s.reason for s in recorder.states)
        await server.start()
        await connected(worker, recorder, times=2)
    finally:
        await worker.aclose()


async def test_garbage_frames_are_dropped_and_counted_and_the_connection_stays(server, running):
    worker, recorder, _ = running
    await connected(worker, recorder)
    garbage = [
        "not json",
        "[1]",
        '{"type":"who-knows"}',
        '{"type":"notification","data":{}}',
        '{"type":"unread_count","data":{"unread_count":-4}}',
        "x" * (FAST_REALTIME.max_frame_bytes + 1),
    ]
    for text in garbage:
        await server.send_raw(DEMO_EMAIL, text)
    await wait_for(lambda: worker.frames_dropped == len(garbage))
    drops = [e for e in recorder.events if isinstance(e, FrameDropped)]
    assert [d.total_dropped for d in drops] == list(range(1, len(garbage) + 1))
    assert any("over the" in d.reason for d in drops)
    created = await server.create_notification()
    await wait_for(
        lambda: any(f.notification.id == created["id"] for f in recorder.frames(NotificationFrame))
    )
    assert (
        worker.state is ConnectionState.CONNECTED and recorder.count(ConnectionState.CONNECTED) == 1
    )


async def test_send_when_connected_and_refusal_when_not(server, running):
    worker, recorder, _ = running
    await connected(worker, recorder)
    await worker.send(Ping())
    await wait_for(
        lambda: (
            recorder.frames(type(None)) == []
            and any(
                type(f).__name__ == "Pong"
                for f in (e.frame for e in recorder.events if isinstance(e, FrameReceived))
            )
        )
    )
    worker.disconnect()
    with pytest.raises(NotConnected):
        await worker.send(Ping())


async def test_manual_reconnect_and_disconnect(server, running):
    worker, recorder, _ = running
    await connected(worker, recorder)
    worker.reconnect()
    await connected(worker, recorder, times=2)
    worker.disconnect()
    assert worker.state is ConnectionState.DISCONNECTED
    await wait_for(lambda: not server.hub.sockets(server.user()))


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ("hang", "network unreachable: no answer"),
        ("dns", "cannot resolve"),
        ("refused", "not accepting"),
    ],
)
async def test_unreachable_network_is_reported_distinctly_and_fast(monkeypatch, failure, expected):
    """The pre-check tells "no network" from "server down" (faked: tests touch only loopback)."""

    async def fake_open_connection(host, port, **kwargs):
        if failure == "hang":
            await asyncio.sleep(30)
        if failure == "dns":
            raise socket.gaierror(-2, "Name or service not known")
        raise ConnectionRefusedError(111, "Connection refused")

    async def token(force_refresh: bool = False) -> str:
        return "t"

    monkeypatch.setattr(asyncio, "open_connection", fake_open_connection)
    recorder = Recorder()
    settings = msgspec.structs.replace(FAST_REALTIME, precheck_timeout=0.2)
    worker = RealtimeWorker(
        "ws://tiri.example:80/ws/notifications/", "http://tiri.example", token, recorder, settings
    )
    started = time.monotonic()
    worker.start()
    try:
        await wait_for(lambda: len(recorder.states) >= 2, timeout=3)
    finally:
        await worker.aclose()
    assert expected in recorder.states[1].reason
    assert time.monotonic() - started < 1.5


async def test_token_provider_network_failure_backs_off(server):
    recorder = Recorder()

    async def token(force_refresh: bool = False) -> str:
        raise ServerUnreachable("cannot reach the server")

    worker = make_worker(server, token, recorder)
    worker.start()
    try:
        await wait_for(lambda: any("cannot reach" in s.reason for s in recorder.states))
        assert all(s.state is not ConnectionState.ERROR for s in recorder.states[:3])
        reconnecting = next(s for s in recorder.states if "cannot reach" in s.reason)
        assert (
            reconnecting.state is ConnectionState.RECONNECTING and reconnecting.retry_in is not None
        )
    finally:
        await worker.aclose()


async def test_no_leaked_tasks_or_sockets_after_100_cycles(server, client):
    baseline = len(asyncio.all_tasks())
    tokens = Tokens(client.auth)
    for _ in range(100):
        recorder = Recorder()
        worker = make_worker(server, tokens, recorder)
        worker.start()
        await connected(worker, recorder)
        await worker.aclose()
        assert worker.live_tasks() == 0
    await wait_for(lambda: not server.hub.sockets(server.user()), what="server-side sockets closed")
    await wait_for(lambda: len(asyncio.all_tasks()) <= baseline, what="tasks back to baseline")


async def test_clock_jump_wakes_a_sleeping_backoff(server, client):
    recorder = Recorder()
    wall_offset = [0.0]
    settings = msgspec.structs.replace(
        FAST_REALTIME,
        watchdog_interval=0.02,
        clock_jump_threshold=5,
        policy=PolicySettings(base_delay=60, max_delay=60),
    )
    worker = make_worker(
        server,
        Tokens(client.auth),
        recorder,
        settings,
        wall_clock=lambda: time.time() + wall_offset[0],
        rng=lambda: 1.0,
    )
    await server.stop()
    worker.start()
    try:
        await wait_for(lambda: worker.policy.retry_at is not None)  # waiting a whole minute
        await server.start()
        wall_offset[0] = 3600.0  # the machine "slept" an hour
        await connected(worker, recorder)
        assert any("woke up" in s.reason for s in recorder.states)
    finally:
        await worker.aclose()


def test_clock_jump_detector():
    detector = ClockJumpDetector(threshold=5, interval=10)
    assert not detector.check(100, 1000)
    assert not detector.check(110, 1010.5)  # normal drift
    assert detector.check(120, 1080)  # wall jumped 60 s in 10 s
    assert detector.check(150, 1110)  # the loop stalled 30 s
    assert not detector.check(160, 1120)


async def test_token_never_appears_in_reasons_or_logs(server, client, caplog):
    caplog.set_level(logging.DEBUG)
    recorder = Recorder()
    token = await client.auth.access_token()
    worker = make_worker(server, Tokens(client.auth), recorder)
    worker.start()
    try:
        await connected(worker, recorder)
        # A close reason is at most 123 bytes: a token prefix stands in for the token.
        await server.close_sockets(DEMO_EMAIL, 1000, f"bye token={token[:60]}")
        await connected(worker, recorder, times=2)
        server.faults.ws_route_status = 500
        await server.close_sockets(DEMO_EMAIL, 1011)
        await wait_for(lambda: any("HTTP 500" in s.reason for s in recorder.states))
    finally:
        await worker.aclose()
    reasons = " ".join(s.reason for s in recorder.states)
    assert token[:60] not in reasons and token not in caplog.text
    assert "bye token=***" in reasons


async def test_a_failure_while_handling_a_frame_never_leaves_a_dead_socket_connected(
    server, client
):
    """Whoever handles a frame may fail; the connection must then be reported
    over (and made again), never left "connected" with nobody reading it."""
    recorder = Recorder()
    failures = {"left": 1}

    def fragile(event: object) -> None:
        recorder(event)
        frame = event.frame if isinstance(event, FrameReceived) else None
        if isinstance(frame, NotificationFrame) and failures["left"]:
            failures["left"] -= 1
            raise KeyError("a bug in whoever handles frames")

    worker = make_worker(server, Tokens(client.auth), fragile, rng=lambda: 1.0)
    worker.start()
    try:
        await connected(worker, recorder)
        await server.create_notification(title="the one that trips it")
        await connected(worker, recorder, times=2)  # reported over, then connected again
        after = await server.create_notification(title="after")
        await wait_for(
            lambda: any(
                f.notification.id == after["id"] for f in recorder.frames(NotificationFrame)
            ),
            what="frames read again",
        )
    finally:
        await worker.aclose()
    assert worker.live_tasks() == 0
