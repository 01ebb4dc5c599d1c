"""The connection policy: a pure state machine of (state, event, now) → (state, actions).

No sockets, no sleeping, no clock of its own: the worker feeds it events
stamped with the time and carries out the actions it returns. That is what
lets every reconnect rule be tested with a fake clock in milliseconds.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import assert_never

from msgspec import Struct
from msgspec.structs import replace

from tiri_tui.wire.protocol import Disposition, classify_close, classify_handshake_status


class ConnectionState(enum.Enum):
    """The five states of PROTOCOL.md (their colours live in the stylesheet)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    ERROR = "error"


class StateCode(enum.Enum):
    """Why the connection is in its state: what faces branch on (the reason
    beside it is for people, and may say more)."""

    DISCONNECTED = "disconnected"  # by request, or not started
    CONNECTING = "connecting"
    RECONNECTING_BY_REQUEST = "reconnecting_by_request"
    CONNECTED = "connected"
    RETRY_DUE = "retry_due"  # a scheduled retry is connecting
    CLOSED = "closed"  # the server closed (or the connection dropped): backing off
    HANDSHAKE_REFUSED = "handshake_refused"  # an HTTP status instead of the upgrade
    NETWORK = "network"  # unreachable, refused, timed out
    HEARTBEAT = "heartbeat"  # the server stopped answering pings
    REFRESHING_TOKEN = "refreshing_token"  # the token was refused: refreshing it
    TOKEN_REFRESHED = "token_refreshed"
    TOKEN_REFRESH_FAILED = "token_refresh_failed"  # the refresh could not reach the server
    WOKE_UP = "woke_up"  # the machine slept
    GAVE_UP = "gave_up"  # too many attempts; slow retries (if any) from here
    FORBIDDEN = "forbidden"  # 4003 / 1008: not reconnecting
    SESSION_EXPIRED = "session_expired"  # the refresh token was refused
    LOGIN_AGAIN = "login_again"  # the server refuses even a fresh token
    #: The socket refused a fresh token twice: REST is asked whether it takes it.
    CHECKING_TOKEN = "checking_token"
    #: REST accepts the token the socket refuses: the Origin (or a proxy) is
    #: refused. The session is fine; retried slowly.
    ORIGIN_REFUSED = "origin_refused"

    @property
    def needs_login(self) -> bool:
        """Only a new login can get out of this state."""
        return self in (StateCode.SESSION_EXPIRED, StateCode.LOGIN_AGAIN)


class PolicySettings(Struct, frozen=True):
    """The numbers of the reconnect rules (seconds)."""

    base_delay: float = 1.0
    max_delay: float = 30.0
    max_attempts: int = 10
    #: A connection must stay up this long before the attempt count resets.
    stable_after: float = 10.0
    #: After giving up, try again this often; None turns it off.
    slow_retry: float | None = 300.0
    #: Refreshes forced by the refusal of a token that had not expired, at most
    #: this many within ``auth_refresh_window`` seconds: a server that refuses
    #: every fresh token must end in ``error``, never in a refresh loop.
    auth_refresh_limit: int = 3
    auth_refresh_window: float = 60.0
    #: A token refused within this many seconds of its ``exp`` (or a quarter
    #: of its lifetime, if shorter) is taken as expired: clocks differ.
    expiry_slack: float = 5.0


class TokenLife(Struct, frozen=True):
    """When an access token was issued and expires, on the policy's clock."""

    issued_at: float | None
    expires_at: float

    def expired(self, now: float, slack: float) -> bool:
        """Whether a refusal at ``now`` is explained by the token's expiry."""
        if self.issued_at is not None and self.expires_at > self.issued_at:
            slack = min(slack, (self.expires_at - self.issued_at) / 4)
        return now >= self.expires_at - slack


# -- events ---------------------------------------------------------------------------
class ConnectRequested(Struct, frozen=True):
    """Start connecting (first start)."""


class HandshakeOk(Struct, frozen=True):
    """The WebSocket handshake completed with a token of this life (if known)."""

    token: TokenLife | None = None


class HandshakeRejected(Struct, frozen=True):
    """The server answered the handshake with an HTTP status."""

    status: int
    token: TokenLife | None = None


class Closed(Struct, frozen=True):
    """An open connection closed (code None: no close frame, i.e. 1006)."""

    code: int | None
    reason: str = ""


class NetworkError(Struct, frozen=True):
    """Connecting failed below HTTP (refused, unreachable, DNS, timeout)."""

    message: str


class HeartbeatMissed(Struct, frozen=True):
    """The peer stopped answering pings; the worker dropped the connection."""


class TokenRefreshed(Struct, frozen=True):
    """The token provider produced a fresh access token."""

    token: TokenLife | None = None


class TokenRefreshFailed(Struct, frozen=True):
    """The refresh failed: the session is over, or the server was unreachable."""

    session_expired: bool
    message: str = ""


class TokenChecked(Struct, frozen=True):
    """REST's answer about the token the socket refused (``accepted`` None: it
    could not say, ``message`` says why), and the Origin the handshake sent."""

    accepted: bool | None
    origin: str = ""
    message: str = ""


class ManualReconnect(Struct, frozen=True):
    """The user asked to reconnect now."""


class DisconnectRequested(Struct, frozen=True):
    """The user (or shutdown) asked to disconnect."""


class RetryDue(Struct, frozen=True):
    """A retry timer set by :class:`ScheduleRetry` fired."""


class ClockJumped(Struct, frozen=True):
    """The machine slept or the clock jumped: waiting out a backoff is pointless."""


Event = (
    ConnectRequested
    | HandshakeOk
    | HandshakeRejected
    | Closed
    | NetworkError
    | HeartbeatMissed
    | TokenRefreshed
    | TokenRefreshFailed
    | TokenChecked
    | ManualReconnect
    | DisconnectRequested
    | RetryDue
    | ClockJumped
)


# -- actions --------------------------------------------------------------------------
class Connect(Struct, frozen=True):
    """Open a connection now (after asking the token provider for a token)."""


class RefreshToken(Struct, frozen=True):
    """Force a token refresh, then report TokenRefreshed or TokenRefreshFailed."""


class CheckToken(Struct, frozen=True):
    """Ask REST whether it accepts the token the socket refused, then report
    TokenChecked."""


class ScheduleRetry(Struct, frozen=True):
    """Fire RetryDue after ``delay`` seconds (replacing any pending timer)."""

    delay: float


class CancelRetry(Struct, frozen=True):
    """Forget any pending retry timer."""


class CloseConnection(Struct, frozen=True):
    """Close the open (or opening) connection, if any."""


Action = Connect | RefreshToken | CheckToken | ScheduleRetry | CancelRetry | CloseConnection

#: The facts; each face adds the next step in its own words (the dashboard's
#: login form, or the command for `tail`).
SESSION_EXPIRED = "session expired"
LOGIN_AGAIN = "the server refused the token again"


def origin_refused(origin: str) -> str:
    """Why a socket refuses a token REST accepts, and the setting that helps."""
    # What to do comes first: a narrow message line keeps only the start.
    return (
        f"Origin {origin} refused by the socket: set `origin` (config.toml, TIRI_ORIGIN "
        "or --origin) to its web app's origin; REST accepts the token, the session is fine"
    )


class PolicyState(Struct, frozen=True):
    """Everything the policy remembers between events."""

    state: ConnectionState = ConnectionState.DISCONNECTED
    reason: str = ""
    code: StateCode = StateCode.DISCONNECTED
    #: Failed attempts in a row since the last stable connection.
    attempts: int = 0
    connected_at: float | None = None
    #: The token in use came from a refresh forced by a refusal, and no
    #: handshake has accepted it yet: refusing it too means "log in again".
    token_unproven: bool = False
    #: The life of the token the open (or last) connection was made with.
    token: TokenLife | None = None
    #: When refreshes were forced by refusals of tokens that had not expired.
    auth_refreshes: tuple[float, ...] = ()
    #: When the pending retry is due (monotonic), for a countdown.
    retry_at: float | None = None


Random = Callable[[], float]


def backoff_delay(attempt: int, settings: PolicySettings, rng: Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))] for attempt ≥ 1."""
    ceiling = min(settings.max_delay, settings.base_delay * 2.0 ** max(0, attempt - 1))
    return float(ceiling * rng())


def step(
    current: PolicyState,
    event: Event,
    now: float,
    settings: PolicySettings,
    rng: Random,
) -> tuple[PolicyState, list[Action]]:
    """Apply one event: the next policy state and the actions to carry out."""
    s = current
    if isinstance(event, _FAILURES) and s.state in _IDLE:
        return s, []  # a late report from a connection already given up on or closed
    match event:
        case DisconnectRequested():
            return _fresh(ConnectionState.DISCONNECTED, StateCode.DISCONNECTED), [
                CancelRetry(),
                CloseConnection(),
            ]
        case ConnectRequested():
            if s.state in (ConnectionState.DISCONNECTED, ConnectionState.ERROR):
                return _fresh(ConnectionState.CONNECTING, StateCode.CONNECTING), [
                    CancelRetry(),
                    Connect(),
                ]
            return s, []
        case ManualReconnect():
            return _fresh(ConnectionState.CONNECTING, StateCode.RECONNECTING_BY_REQUEST), [
                CancelRetry(),
                CloseConnection(),
                Connect(),
            ]
        case HandshakeOk(token=token):
            if s.state not in (ConnectionState.CONNECTING, ConnectionState.RECONNECTING):
                return s, []
            return replace(
                _coded(s, ConnectionState.CONNECTED, StateCode.CONNECTED),
                connected_at=now,
                retry_at=None,
                token=token,
                token_unproven=False,
            ), []
        case RetryDue():
            if s.retry_at is None or s.state not in (
                ConnectionState.RECONNECTING,
                ConnectionState.ERROR,
            ):
                return s, []
            return replace(
                _coded(s, ConnectionState.RECONNECTING, StateCode.RETRY_DUE), retry_at=None
            ), [Connect()]
        case ClockJumped():
            if s.retry_at is not None:
                return replace(
                    _coded(s, ConnectionState.RECONNECTING, StateCode.WOKE_UP), retry_at=None
                ), [CancelRetry(), Connect()]
            if s.state is ConnectionState.CONNECTED:
                # After a sleep the socket is most likely dead without knowing it.
                return replace(
                    _coded(s, ConnectionState.RECONNECTING, StateCode.WOKE_UP), connected_at=None
                ), [CloseConnection(), Connect()]
            return s, []
        case TokenRefreshed(token=token):
            if s.state is not ConnectionState.RECONNECTING:
                return s, []
            return replace(
                _coded(s, s.state, StateCode.TOKEN_REFRESHED), token=token, token_unproven=True
            ), [Connect()]
        case TokenRefreshFailed(session_expired=True):
            return _error(s, StateCode.SESSION_EXPIRED), [CancelRetry(), CloseConnection()]
        case TokenRefreshFailed(message=message):
            return _retry(
                s,
                now,
                StateCode.TOKEN_REFRESH_FAILED,
                f"token refresh failed: {message}",
                settings,
                rng,
            )
        case TokenChecked(accepted=accepted, origin=origin, message=message):
            if s.code is not StateCode.CHECKING_TOKEN:
                return s, []  # the user moved on meanwhile
            if accepted is False:
                return _error(s, StateCode.LOGIN_AGAIN), [CancelRetry()]
            if accepted is None:
                label = (
                    f"the server refused the connection again; REST could not say why: {message}"
                )
                return _retry(s, now, StateCode.HANDSHAKE_REFUSED, label, settings, rng)
            refused = _error(s, StateCode.ORIGIN_REFUSED, origin_refused(origin))
            if settings.slow_retry is None:
                return refused, [CancelRetry()]
            return replace(refused, retry_at=now + settings.slow_retry), [
                ScheduleRetry(settings.slow_retry)
            ]
        case HandshakeRejected(status=status, token=token):
            return _dispose(
                replace(s, token=token or s.token),
                classify_handshake_status(status),
                now,
                StateCode.HANDSHAKE_REFUSED,
                f"server refused the connection (HTTP {status})",
                settings,
                rng,
                at_handshake=True,
            )
        case Closed(code=code, reason=text):
            label = f"connection closed ({code if code is not None else 1006})"
            if text:
                label += f": {text}"
            return _dispose(s, classify_close(code), now, StateCode.CLOSED, label, settings, rng)
        case NetworkError(message=message):
            return _retry(_settle(s, now, settings), now, StateCode.NETWORK, message, settings, rng)
        case HeartbeatMissed():
            return _retry(
                _settle(s, now, settings),
                now,
                StateCode.HEARTBEAT,
                "server stopped answering heartbeats",
                settings,
                rng,
            )
        case _:
            assert_never(event)


_FAILURES = (
    HandshakeRejected,
    Closed,
    NetworkError,
    HeartbeatMissed,
    TokenRefreshFailed,
    TokenChecked,
)
_IDLE = (ConnectionState.DISCONNECTED, ConnectionState.ERROR)


#: What people read for each code, where the code alone says it all.
REASONS = {
    StateCode.DISCONNECTED: "disconnected by request",
    StateCode.CONNECTING: "connecting",
    StateCode.RECONNECTING_BY_REQUEST: "reconnecting by request",
    StateCode.CONNECTED: "connected",
    StateCode.RETRY_DUE: "reconnecting",
    StateCode.WOKE_UP: "woke up: reconnecting now",
    StateCode.TOKEN_REFRESHED: "token refreshed, reconnecting",
    StateCode.SESSION_EXPIRED: SESSION_EXPIRED,
    StateCode.LOGIN_AGAIN: LOGIN_AGAIN,
}


def _fresh(state: ConnectionState, code: StateCode) -> PolicyState:
    return PolicyState(state=state, reason=REASONS[code], code=code)


def _coded(
    s: PolicyState, state: ConnectionState, code: StateCode, reason: str | None = None
) -> PolicyState:
    return replace(s, state=state, code=code, reason=reason or REASONS[code])


def _error(s: PolicyState, code: StateCode, reason: str | None = None) -> PolicyState:
    return replace(_coded(s, ConnectionState.ERROR, code, reason), connected_at=None, retry_at=None)


def _settle(s: PolicyState, now: float, settings: PolicySettings) -> PolicyState:
    """Forget past failures once a connection that just ended had been stable."""
    if s.connected_at is not None and now - s.connected_at >= settings.stable_after:
        return replace(s, attempts=0, connected_at=None)
    return replace(s, connected_at=None)


def _dispose(
    s: PolicyState,
    disposition: Disposition,
    now: float,
    code: StateCode,
    label: str,
    settings: PolicySettings,
    rng: Random,
    *,
    at_handshake: bool = False,
) -> tuple[PolicyState, list[Action]]:
    s = _settle(s, now, settings)
    match disposition:
        case Disposition.FATAL:
            return _error(s, StateCode.FORBIDDEN, f"{label} — not reconnecting"), [CancelRetry()]
        case Disposition.REAUTHENTICATE:
            return _reauthenticate(s, now, label, settings, at_handshake=at_handshake)
        case Disposition.RETRY:
            return _retry(s, now, code, label, settings, rng)
        case _:
            assert_never(disposition)


def _reauthenticate(
    s: PolicyState, now: float, label: str, settings: PolicySettings, *, at_handshake: bool
) -> tuple[PolicyState, list[Action]]:
    """A refusal of the token: refresh, judged per token.

    A token that expired earns a refresh whatever came before (short-lived
    tokens expire over and over on a healthy connection). A refresh is spent
    only when the server refuses the very token it produced before ever
    accepting it; a handshake refusing it may be an origin check (Channels
    answers 403 for both), so REST is asked about the token before the user
    is told to log in. Refusals of accepted, unexpired tokens are bounded in rate.
    """
    expired = s.token is not None and s.token.expired(now, settings.expiry_slack)
    refreshes = s.auth_refreshes
    if not expired:
        if s.token_unproven and at_handshake:
            checking = _coded(
                s,
                ConnectionState.RECONNECTING,
                StateCode.CHECKING_TOKEN,
                f"{label} again; asking REST whether it accepts the token",
            )
            return replace(checking, retry_at=None), [CancelRetry(), CheckToken()]
        if s.token_unproven:
            return _error(s, StateCode.LOGIN_AGAIN), [CancelRetry()]
        refreshes = tuple(t for t in refreshes if now - t < settings.auth_refresh_window)
        if len(refreshes) >= settings.auth_refresh_limit:
            return _error(s, StateCode.LOGIN_AGAIN), [CancelRetry()]
        refreshes += (now,)
    refreshing = _coded(
        s,
        ConnectionState.RECONNECTING,
        StateCode.REFRESHING_TOKEN,
        f"{label}; refreshing the token",
    )
    return replace(refreshing, auth_refreshes=refreshes, retry_at=None), [
        CancelRetry(),
        RefreshToken(),
    ]


def _retry(
    s: PolicyState,
    now: float,
    code: StateCode,
    label: str,
    settings: PolicySettings,
    rng: Random,
) -> tuple[PolicyState, list[Action]]:
    attempts = s.attempts + 1
    if attempts >= settings.max_attempts:
        reason = f"gave up after {max(attempts, settings.max_attempts)} attempts: {label}"
        failed = _error(replace(s, attempts=attempts), StateCode.GAVE_UP, reason)
        if settings.slow_retry is None:
            return failed, [CancelRetry()]
        return replace(failed, retry_at=now + settings.slow_retry), [
            ScheduleRetry(settings.slow_retry)
        ]
    delay = backoff_delay(attempts, settings, rng)
    return replace(
        _coded(s, ConnectionState.RECONNECTING, code, label),
        attempts=attempts,
        retry_at=now + delay,
    ), [ScheduleRetry(delay)]
