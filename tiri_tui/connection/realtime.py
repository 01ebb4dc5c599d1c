"""The WebSocket worker: carries out the connection policy with ``websockets``.

The policy (policy.py) decides; this module only does I/O: connect, read
frames, keep the heartbeat, run timers, and report what happened back to the
policy and to one subscriber (the controller).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, assert_never
from urllib.parse import quote, urlsplit

from msgspec import Struct, field

from tiri_tui import __version__
from tiri_tui.connection.pacing import let_others_run
from tiri_tui.connection.policy import (
    Action,
    CancelRetry,
    CheckToken,
    ClockJumped,
    CloseConnection,
    Closed,
    Connect,
    ConnectionState,
    ConnectRequested,
    DisconnectRequested,
    Event,
    HandshakeOk,
    HandshakeRejected,
    HeartbeatMissed,
    ManualReconnect,
    NetworkError,
    PolicySettings,
    PolicyState,
    RefreshToken,
    RetryDue,
    ScheduleRetry,
    StateCode,
    TokenChecked,
    TokenLife,
    TokenRefreshed,
    TokenRefreshFailed,
    step,
)
from tiri_tui.wire.errors import LoginRequired, NotConnected, TiriError, is_transient
from tiri_tui.wire.models import WireError
from tiri_tui.wire.protocol import (
    DEFAULT_MAX_FRAME_BYTES,
    ClientFrame,
    Ping,
    ServerFrame,
    encode_frame,
    parse_server_frame,
)
from tiri_tui.wire.redaction import RedactingFilter, redact

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

log = logging.getLogger(__name__)
#: websockets logs the handshake (URL with ?token=, Authorization header) at
#: debug level; its records are masked at the source, whatever handler reads them.
_socket_log = logging.getLogger("tiri_tui.websocket")
_socket_log.addFilter(RedactingFilter())
_KEEPALIVE_TIMEOUT = "keepalive ping timeout"
#: Seconds of back-to-back frame handling before yielding to the event loop.
_YIELD_AFTER = 0.008
#: Frames websockets reads ahead of the handler (its default is 16).
RECEIVE_QUEUE_FRAMES = 1024


class TokenProvider(Protocol):
    """Returns a usable access token; refreshes first when asked or near expiry.

    Raises SessionExpired when only a new login helps, another TiriError when
    the server could not be reached.
    """

    def __call__(self, force_refresh: bool = False) -> Awaitable[str]: ...


#: (exp, iat) of a token in wall-clock seconds, either None when unknown.
TokenClaims = Callable[[str], tuple[float | None, float | None]]
#: Whether REST accepts this access token (a TiriError: it could not say).
TokenCheck = Callable[[str], Awaitable[bool]]


class RealtimeSettings(Struct, frozen=True):
    """Knobs of the worker; defaults suit a real deployment."""

    handshake_timeout: float = 10.0
    #: TCP reachability pre-check, so "unreachable" is reported fast.
    precheck_timeout: float = 3.0
    #: Protocol-level ping (websockets keepalive): a dead peer is found
    #: within ping_interval + ping_timeout.
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 10.0
    #: Application ``{"type": "ping"}`` for servers that expect one; None: off.
    app_ping_interval: float | None = 30.0
    #: Frames over this are dropped and counted; the connection stays.
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    compression: bool = False
    #: Sleep/resume detection: wall and monotonic clocks disagreeing by more
    #: than this many seconds means the machine slept.
    clock_jump_threshold: float = 5.0
    watchdog_interval: float = 5.0
    policy: PolicySettings = field(default_factory=PolicySettings)


# -- events for the subscriber --------------------------------------------------------
class StateChanged(Struct, frozen=True):
    """The connection state (or its reason) changed."""

    state: ConnectionState
    reason: str
    #: Seconds until the next automatic try, when one is scheduled.
    retry_in: float | None
    attempts: int
    code: StateCode = StateCode.DISCONNECTED


class FrameReceived(Struct, frozen=True):
    """A valid server frame, with the monotonic time it arrived."""

    frame: ServerFrame
    received_at: float


class FrameDropped(Struct, frozen=True):
    """A frame broke the contract and was dropped; the connection stays."""

    reason: str
    total_dropped: int


RealtimeEvent = StateChanged | FrameReceived | FrameDropped


class ClockJumpDetector:
    """Notices a machine sleep: wall time moving unlike monotonic time, or a stall."""

    def __init__(self, threshold: float, interval: float) -> None:
        self.threshold = threshold
        self.interval = interval
        self._last: tuple[float, float] | None = None

    def check(self, monotonic: float, wall: float) -> bool:
        """Feed both clocks; True when they jumped since the previous check."""
        last, self._last = self._last, (monotonic, wall)
        if last is None:
            return False
        mono_delta, wall_delta = monotonic - last[0], wall - last[1]
        stalled = mono_delta > self.interval + self.threshold
        return stalled or abs(wall_delta - mono_delta) > self.threshold


class RealtimeWorker:
    """Keeps one WebSocket to the server connected whenever it can be.

    Call :meth:`start` once, then :meth:`reconnect`, :meth:`disconnect`,
    :meth:`send` as needed, and always ``await`` :meth:`aclose` at the end.
    """

    def __init__(
        self,
        ws_url: str,
        origin: str,
        token_provider: TokenProvider,
        on_event: Callable[[RealtimeEvent], None],
        settings: RealtimeSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        ssl_context: ssl.SSLContext | None = None,
        token_claims: TokenClaims | None = None,
        token_check: TokenCheck | None = None,
    ) -> None:
        self._ws_url = ws_url
        self._token_claims = token_claims
        self._token_check = token_check
        #: The token of the latest handshake: REST is asked about that very one.
        self._handshake_token: str | None = None
        self._ssl = ssl_context
        self._origin = origin
        self._token_provider = token_provider
        self._on_event = on_event
        self.settings = settings or RealtimeSettings()
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng
        self._policy = PolicyState()
        self._generation = 0
        self._connection_task: asyncio.Task[None] | None = None
        self._retry_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ws: ClientConnection | None = None
        self._closed = False
        self.frames_dropped = 0

    # -- public API ------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        """The current connection state."""
        return self._policy.state

    @property
    def policy(self) -> PolicyState:
        """The whole policy state (attempts, retry time, reason)."""
        return self._policy

    def start(self) -> None:
        """Begin connecting, and watch for machine sleep."""
        if self.settings.watchdog_interval > 0:
            self._spawn(self._watch_clock(), "tiri-clock-watchdog")
        self._handle(ConnectRequested())

    def reconnect(self) -> None:
        """Reconnect now, forgetting past failures (the user's `r`)."""
        if not self._closed:
            self._handle(ManualReconnect())

    def disconnect(self) -> None:
        """Close and stop all automatic retries."""
        self._handle(DisconnectRequested())

    async def send(self, frame: ClientFrame) -> None:
        """Send a client frame; raise NotConnected rather than dropping it silently."""
        from websockets.exceptions import ConnectionClosed

        ws = self._ws
        if ws is None or self._policy.state is not ConnectionState.CONNECTED:
            raise NotConnected()
        try:
            await ws.send(encode_frame(frame))
        except ConnectionClosed:
            raise NotConnected() from None

    async def aclose(self) -> None:
        """Disconnect and wait until no task, socket or timer of ours is left."""
        self._closed = True
        self._handle(DisconnectRequested())
        pending = [t for t in (*self._tasks, self._connection_task) if t is not None]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._connection_task = None

    def live_tasks(self) -> int:
        """How many background tasks and timers are still alive (for leak checks)."""
        alive = sum(1 for t in self._tasks if not t.done())
        if self._connection_task is not None and not self._connection_task.done():
            alive += 1
        return alive + (self._retry_timer is not None)

    # -- policy plumbing -----------------------------------------------------------
    def _handle(self, event: Event) -> None:
        before = self._policy
        now = self._clock()
        self._policy, actions = step(before, event, now, self.settings.policy, self._rng)
        for action in actions:
            self._execute(action)
        after = self._policy
        if (after.state, after.code, after.reason, after.retry_at) != (
            before.state,
            before.code,
            before.reason,
            before.retry_at,
        ):
            retry_in = None if after.retry_at is None else max(0.0, after.retry_at - now)
            log.info("connection %s: %s", after.state.value, after.reason)
            self._on_event(
                StateChanged(after.state, after.reason, retry_in, after.attempts, after.code)
            )

    def _execute(self, action: Action) -> None:
        match action:
            case Connect():
                if self._closed:
                    return
                self._stop_connection()
                self._generation += 1
                self._connection_task = asyncio.create_task(
                    self._run_connection(self._generation), name="tiri-ws-connection"
                )
            case CloseConnection():
                self._stop_connection()
            case ScheduleRetry(delay=delay):
                self._cancel_timer()
                self._retry_timer = asyncio.get_running_loop().call_later(delay, self._retry_due)
            case CancelRetry():
                self._cancel_timer()
            case RefreshToken():
                self._spawn(self._refresh_token(self._generation), "tiri-token-refresh")
            case CheckToken():
                self._spawn(self._check_token(self._generation), "tiri-token-check")
            case _:
                assert_never(action)

    def _report(self, generation: int, event: Event) -> None:
        # Only the newest connection may speak: a cancelled one's last words are stale.
        if generation == self._generation and not self._closed:
            self._handle(event)

    def _retry_due(self) -> None:
        self._retry_timer = None
        self._handle(RetryDue())

    def _cancel_timer(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.cancel()
            self._retry_timer = None

    def _stop_connection(self) -> None:
        self._generation += 1
        if self._connection_task is not None and not self._connection_task.done():
            self._connection_task.cancel()
            # Keep it tracked so aclose() can wait for its socket to close.
            self._tasks.add(self._connection_task)
            self._connection_task.add_done_callback(self._tasks.discard)
        self._connection_task = None
        self._ws = None

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- I/O -----------------------------------------------------------------------------
    def _token_life(self, token: str) -> TokenLife | None:
        """The token's life on the policy's (monotonic) clock, when it says."""
        if self._token_claims is None:
            return None
        exp, iat = self._token_claims(token)
        if exp is None:
            return None
        offset = self._clock() - self._wall_clock()
        return TokenLife(None if iat is None else iat + offset, exp + offset)

    async def _refresh_token(self, generation: int) -> None:
        try:
            token = await self._token_provider(force_refresh=True)
        except LoginRequired:
            self._report(generation, TokenRefreshFailed(session_expired=True))
        except TiriError as exc:  # transient or not, a later try may see it mended
            self._report(generation, TokenRefreshFailed(False, redact(str(exc))))
        else:
            self._report(generation, TokenRefreshed(self._token_life(token)))

    async def _check_token(self, generation: int) -> None:
        token, origin = self._handshake_token, self._origin
        if self._token_check is None or token is None:
            # Nobody to ask: the refusal is taken as the token's, as it looks.
            self._report(generation, TokenChecked(False, origin))
            return
        try:
            accepted = await self._token_check(token)
        except TiriError as exc:
            self._report(generation, TokenChecked(None, origin, redact(str(exc))))
        else:
            self._report(generation, TokenChecked(accepted, origin))

    async def _run_connection(self, generation: int) -> None:
        try:
            await self._precheck()
            token = await self._token_provider()
        except LoginRequired:
            self._report(generation, TokenRefreshFailed(session_expired=True))
            return
        except (TiriError, OSError) as exc:
            if is_transient(exc):
                self._report(generation, NetworkError(redact(str(exc))))
            else:
                self._report(generation, TokenRefreshFailed(False, redact(str(exc))))
            return
        self._handshake_token = token
        try:
            event = await self._converse(generation, token)
        except Exception as exc:
            # Whatever went wrong (here, or in whoever handled a frame), the
            # policy must hear that this connection is over: a task that dies
            # silently would leave the state "connected" on a dead socket,
            # with no fill to recover what it then misses.
            log.exception("the connection failed unexpectedly")
            event = NetworkError(redact(f"connection failed: {type(exc).__name__}"))
        self._report(generation, event)

    async def _converse(self, generation: int, token: str) -> Event:
        """Hold one connection open until it ends; return what ended it."""
        # websockets is imported at the first connection, not at start-up:
        # the dashboard paints its cached list before it needs a socket.
        from websockets.asyncio.client import connect
        from websockets.exceptions import (
            ConnectionClosed,
            InvalidHandshake,
            InvalidStatus,
            InvalidURI,
        )
        from websockets.typing import Origin

        s = self.settings
        life = self._token_life(token)
        # Only a TLS context of our own is passed: for wss:// without one,
        # websockets' default (verified) context applies.
        tls: dict[str, Any] = {} if self._ssl is None else {"ssl": self._ssl}
        url = f"{self._ws_url}{'&' if '?' in self._ws_url else '?'}token={quote(token, safe='')}"
        try:
            async with connect(
                url,
                origin=Origin(self._origin),
                additional_headers={"Authorization": f"Bearer {token}"},
                user_agent_header=f"tiri-tui/{__version__}",
                compression="deflate" if s.compression else None,
                open_timeout=s.handshake_timeout,
                ping_interval=s.ping_interval,
                ping_timeout=s.ping_timeout,
                close_timeout=2,
                # websockets' own limit only guards memory; our smaller frame
                # limit drops and counts, where websockets would close (1009).
                max_size=max(s.max_frame_bytes * 4, 1 << 22),
                # Read ahead while frames are handled: with websockets' default
                # of 16, a burst stops and starts the server's sending at every
                # 16 frames (the loop then waits on the network, idle). Frames
                # are small; the bound still caps what a flood can queue.
                max_queue=RECEIVE_QUEUE_FRAMES,
                proxy=None,
                logger=_socket_log,
                **tls,
            ) as ws:
                self._ws = ws
                self._report(generation, HandshakeOk(life))
                slice_start = time.perf_counter()
                pinger = asyncio.create_task(self._app_pings(ws)) if s.app_ping_interval else None
                try:
                    async for message in ws:
                        self._receive(message)
                        # A burst of queued frames never suspends recv(): after
                        # a slice of work, let keys and paints in.
                        if time.perf_counter() - slice_start > _YIELD_AFTER:
                            await let_others_run()
                            slice_start = time.perf_counter()
                finally:
                    if pinger is not None:
                        pinger.cancel()
            return Closed(ws.close_code, redact(ws.close_reason or ""))
        except InvalidStatus as exc:
            return HandshakeRejected(exc.response.status_code, life)
        except ConnectionClosed as exc:
            if exc.rcvd is None and exc.sent is not None and exc.sent.reason == _KEEPALIVE_TIMEOUT:
                return HeartbeatMissed()
            return Closed(
                exc.rcvd.code if exc.rcvd else None, redact(exc.rcvd.reason if exc.rcvd else "")
            )
        except TimeoutError:
            return NetworkError("the WebSocket handshake timed out")
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            return NetworkError(redact(f"WebSocket handshake failed: {exc}"))
        finally:
            self._ws = None

    def _receive(self, message: str | bytes) -> None:
        received_at = self._clock()
        if isinstance(message, bytes):
            self._drop("binary frame")
            return
        try:
            frame = parse_server_frame(message, self.settings.max_frame_bytes)
        except WireError as exc:
            self._drop(exc.reason)
            return
        self._on_event(FrameReceived(frame, received_at))

    def _drop(self, reason: str) -> None:
        self.frames_dropped += 1
        log.warning("dropped a frame: %s", reason)
        self._on_event(FrameDropped(reason, self.frames_dropped))

    async def _app_pings(self, ws: ClientConnection) -> None:
        interval = self.settings.app_ping_interval or 30.0
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(interval)
                await ws.send(encode_frame(Ping()))

    async def _precheck(self) -> None:
        """Resolve and open a TCP connection with a short timeout, then close it."""
        parts = urlsplit(self._ws_url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        try:
            async with asyncio.timeout(self.settings.precheck_timeout):
                _, writer = await asyncio.open_connection(host, port)
        except TimeoutError:
            raise OSError(f"network unreachable: no answer from {host}:{port}") from None
        except socket.gaierror:
            raise OSError(f"network unreachable: cannot resolve {host}") from None
        except ConnectionRefusedError:
            raise OSError(f"server not accepting connections at {host}:{port}") from None
        except OSError as exc:
            raise OSError(f"network unreachable: {exc.strerror or exc}") from None
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def _watch_clock(self) -> None:
        s = self.settings
        detector = ClockJumpDetector(s.clock_jump_threshold, s.watchdog_interval)
        detector.check(self._clock(), self._wall_clock())
        while True:
            await asyncio.sleep(s.watchdog_interval)
            if detector.check(self._clock(), self._wall_clock()):
                log.info("clock jump detected (machine sleep?): reconnecting now")
                self._handle(ClockJumped())
