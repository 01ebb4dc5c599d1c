"""The connection policy, exhaustively, on a fake clock (no sockets, no sleeping)."""

from __future__ import annotations

import pytest

from tiri_tui.connection.policy import (
    LOGIN_AGAIN,
    SESSION_EXPIRED,
    CancelRetry,
    CheckToken,
    ClockJumped,
    CloseConnection,
    Closed,
    Connect,
    ConnectionState,
    ConnectRequested,
    DisconnectRequested,
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
    backoff_delay,
    step,
)

S = PolicySettings()


class Machine:
    """Feeds events at fake times; remembers the actions."""

    def __init__(self, settings: PolicySettings = S, rng: float = 1.0) -> None:
        self.state = PolicyState()
        self.now = 1000.0
        self.settings = settings
        self.rng = rng
        self.actions: list[object] = []

    def feed(self, event: object, after: float = 0.0) -> list[object]:
        self.now += after
        self.state, actions = step(self.state, event, self.now, self.settings, lambda: self.rng)
        self.actions += actions
        return actions

    def connected(self) -> Machine:
        self.feed(ConnectRequested())
        self.feed(HandshakeOk())
        assert self.state.state is ConnectionState.CONNECTED
        return self


def delays(actions: list[object]) -> list[float]:
    return [a.delay for a in actions if isinstance(a, ScheduleRetry)]


def test_first_connect_goes_connecting_then_connected():
    m = Machine()
    assert m.feed(ConnectRequested()) == [CancelRetry(), Connect()]
    assert m.state.state is ConnectionState.CONNECTING
    assert m.feed(HandshakeOk()) == []
    assert m.state.state is ConnectionState.CONNECTED
    assert m.state.connected_at == m.now


@pytest.mark.parametrize("code", [1000, 1001, 1006, 1011, 1012, 1013, None, 4000, 3000])
def test_retryable_close_codes_back_off(code):
    m = Machine().connected()
    actions = m.feed(Closed(code), after=0.5)
    assert m.state.state is ConnectionState.RECONNECTING
    assert delays(actions) == [1.0]  # rng 1.0: the top of the first window
    assert m.state.retry_at == m.now + 1.0


@pytest.mark.parametrize("status", [404, 500, 502, 503, 400, 426])
def test_handshake_http_errors_other_than_auth_back_off(status):
    m = Machine()
    m.feed(ConnectRequested())
    actions = m.feed(HandshakeRejected(status))
    assert m.state.state is ConnectionState.RECONNECTING
    assert len(delays(actions)) == 1
    assert f"HTTP {status}" in m.state.reason


@pytest.mark.parametrize("code", [4003, 1008])
def test_forbidden_and_policy_close_is_final(code):
    m = Machine().connected()
    actions = m.feed(Closed(code))
    assert m.state.state is ConnectionState.ERROR
    assert "not reconnecting" in m.state.reason
    assert not delays(actions) and Connect() not in actions
    # Nothing brings it back but the user.
    assert m.feed(RetryDue(), after=400) == []
    assert m.state.state is ConnectionState.ERROR


def life(m: Machine, seconds: float) -> TokenLife:
    """A token issued now on the machine's clock, valid for ``seconds``."""
    return TokenLife(issued_at=m.now, expires_at=m.now + seconds)


@pytest.mark.parametrize("status", [401, 403])
def test_refusal_before_accept_refreshes_once_then_is_final(status):
    m = Machine()
    m.feed(ConnectRequested())
    actions = m.feed(HandshakeRejected(status, life(m, 300)))
    assert actions == [CancelRetry(), RefreshToken()]
    assert m.state.state is ConnectionState.RECONNECTING
    assert m.feed(TokenRefreshed(life(m, 300))) == [Connect()]  # immediately, no backoff
    # The server refuses the very token that refresh produced: REST is asked
    # whether it takes that token, and refuses it too. No storm.
    actions = m.feed(HandshakeRejected(status, life(m, 300)), after=0.1)
    assert actions == [CancelRetry(), CheckToken()]
    actions = m.feed(TokenChecked(accepted=False))
    assert m.state.state is ConnectionState.ERROR
    assert m.state.reason == LOGIN_AGAIN
    assert Connect() not in actions and RefreshToken() not in actions
    assert not delays(actions)


ORIGIN = "http://127.0.0.1:8765"


def refused_twice(m: Machine, status: int = 403) -> list[object]:
    """A refusal, a refresh, the refreshed token refused too: the actions of the last."""
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(status, life(m, 300)))
    m.feed(TokenRefreshed(life(m, 300)))
    return m.feed(HandshakeRejected(status, life(m, 300)), after=0.1)


@pytest.mark.parametrize("status", [401, 403])
def test_a_second_refusal_asks_rest_before_blaming_the_token(status):
    m = Machine()
    assert refused_twice(m, status) == [CancelRetry(), CheckToken()]
    assert m.state.state is ConnectionState.RECONNECTING
    assert m.state.code is StateCode.CHECKING_TOKEN and not m.state.code.needs_login


def test_a_token_rest_accepts_means_the_origin_is_refused_the_session_stays_and_retries_slow():
    m = Machine()
    refused_twice(m)
    actions = m.feed(TokenChecked(accepted=True, origin=ORIGIN), after=0.05)
    assert m.state.state is ConnectionState.ERROR
    assert m.state.code is StateCode.ORIGIN_REFUSED and not m.state.code.needs_login
    for words in (f"Origin {ORIGIN} ", "`origin`", "config.toml", "TIRI_ORIGIN", "--origin"):
        assert words in m.state.reason
    assert "log in" not in m.state.reason
    assert actions == [ScheduleRetry(S.slow_retry)]  # slowly, as any error
    assert m.state.retry_at == m.now + S.slow_retry


def test_slow_retries_of_a_refused_origin_ask_rest_again_without_refreshing():
    m = Machine()
    refused_twice(m)
    m.feed(TokenChecked(accepted=True, origin=ORIGIN))
    for _ in range(3):
        assert m.feed(RetryDue(), after=S.slow_retry) == [Connect()]
        # The token (refreshed, never accepted by the socket) is refused again.
        actions = m.feed(HandshakeRejected(403, life(m, 3600)), after=0.1)
        assert actions == [CancelRetry(), CheckToken()]
        assert m.feed(TokenChecked(accepted=True, origin=ORIGIN)) == [ScheduleRetry(S.slow_retry)]
        assert m.state.code is StateCode.ORIGIN_REFUSED
    assert m.actions.count(RefreshToken()) == 1  # the first refusal's, no other


def test_a_refused_origin_without_slow_retries_waits_for_the_user():
    m = Machine(PolicySettings(slow_retry=None))
    refused_twice(m)
    assert m.feed(TokenChecked(accepted=True, origin=ORIGIN)) == [CancelRetry()]
    assert m.state.code is StateCode.ORIGIN_REFUSED and m.state.retry_at is None


def test_rest_that_cannot_say_backs_off_and_blames_nothing_yet():
    m = Machine()
    refused_twice(m)
    actions = m.feed(TokenChecked(accepted=None, message="cannot reach the server"))
    assert m.state.state is ConnectionState.RECONNECTING
    assert m.state.code is StateCode.HANDSHAKE_REFUSED
    assert "cannot reach the server" in m.state.reason
    assert len(delays(actions)) == 1


def test_a_late_rest_answer_after_the_user_moved_on_is_ignored():
    m = Machine()
    refused_twice(m)
    m.feed(ManualReconnect())
    before = m.state
    assert m.feed(TokenChecked(accepted=True, origin=ORIGIN)) == []
    assert m.state == before
    m.feed(DisconnectRequested())
    assert m.feed(TokenChecked(accepted=False)) == []
    assert m.state.state is ConnectionState.DISCONNECTED


def test_each_expiry_of_a_short_token_earns_a_refresh():
    """5 s tokens, closed 4001 each time the token expires: never an error."""
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(HandshakeOk(life(m, 5)))
    for _ in range(20):  # 20 expiries in 100 s, far past any rate limit
        assert m.feed(Closed(4001), after=5.0) == [CancelRetry(), RefreshToken()]
        assert m.feed(TokenRefreshed(life(m, 5)), after=0.01) == [Connect()]
        m.feed(HandshakeOk(life(m, 5)), after=0.01)
        assert m.state.state is ConnectionState.CONNECTED
        m.now -= 0.02  # the next token's clock starts at its handshake


def test_a_refreshed_token_that_expired_before_its_handshake_earns_another_refresh():
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(403, life(m, 300)))
    m.feed(TokenRefreshed(life(m, 5)))
    # The handshake with it was answered only after it expired (a slow network).
    assert m.feed(HandshakeRejected(403), after=6) == [CancelRetry(), RefreshToken()]
    assert m.state.state is ConnectionState.RECONNECTING


def test_a_token_accepted_once_may_be_refreshed_after_a_later_refusal():
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(403, life(m, 300)))
    m.feed(TokenRefreshed(life(m, 300)))
    m.feed(HandshakeOk(life(m, 300)))
    # Accepted, then revoked or closed 4001 while unexpired: one more refresh.
    assert m.feed(Closed(4001), after=30) == [CancelRetry(), RefreshToken()]


def test_fresh_tokens_accepted_then_closed_at_once_end_in_error_after_a_bounded_count():
    """A server that accepts every fresh token and closes 4001 at once: no loop."""
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(HandshakeOk(life(m, 300)))
    refreshes = 0
    for _ in range(50):
        actions = m.feed(Closed(4001), after=0.2)
        if RefreshToken() not in actions:
            break
        refreshes += 1
        m.feed(TokenRefreshed(life(m, 300)))
        m.feed(HandshakeOk(life(m, 300)))
    assert refreshes == S.auth_refresh_limit
    assert m.state.state is ConnectionState.ERROR
    assert m.state.reason == LOGIN_AGAIN


def test_the_refresh_budget_refills_after_its_window():
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(HandshakeOk(life(m, 3600)))
    for _ in range(S.auth_refresh_limit):
        assert RefreshToken() in m.feed(Closed(4001), after=0.2)
        m.feed(TokenRefreshed(life(m, 3600)))
        m.feed(HandshakeOk(life(m, 3600)))
    assert RefreshToken() in m.feed(Closed(4001), after=S.auth_refresh_window)


def test_unknown_token_life_counts_against_the_budget():
    m = Machine().connected()
    for _ in range(S.auth_refresh_limit):
        assert RefreshToken() in m.feed(Closed(4001), after=0.2)
        m.feed(TokenRefreshed())
        m.feed(HandshakeOk())
    m.feed(Closed(4001), after=0.2)
    assert m.state.state is ConnectionState.ERROR


def test_a_manual_reconnect_restores_the_budget():
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(403, life(m, 300)))
    m.feed(TokenRefreshed(life(m, 300)))
    m.feed(HandshakeRejected(403, life(m, 300)))
    m.feed(TokenChecked(accepted=False))
    assert m.state.state is ConnectionState.ERROR
    m.feed(ManualReconnect())
    assert m.feed(HandshakeRejected(403, life(m, 300))) == [CancelRetry(), RefreshToken()]


@pytest.mark.parametrize(
    ("lifetime", "refused_after", "expired"),
    [(300, 299, True), (300, 290, False), (5, 4, True), (5, 3, False), (5, 6, True)],
)
def test_expiry_slack_is_a_few_seconds_or_a_quarter_of_the_lifetime(
    lifetime, refused_after, expired
):
    token = TokenLife(issued_at=0.0, expires_at=float(lifetime))
    assert token.expired(float(refused_after), S.expiry_slack) is expired


def test_refresh_failure_with_expired_session_is_error_without_retry():
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(403))
    actions = m.feed(TokenRefreshFailed(session_expired=True))
    assert m.state.state is ConnectionState.ERROR
    assert m.state.reason == SESSION_EXPIRED
    assert not delays(actions)


def test_refresh_failure_from_network_backs_off():
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(403))
    actions = m.feed(TokenRefreshFailed(session_expired=False, message="unreachable"))
    assert m.state.state is ConnectionState.RECONNECTING
    assert len(delays(actions)) == 1


def test_backoff_doubles_to_the_cap_and_gives_up_after_ten_attempts():
    m = Machine(rng=1.0)
    m.feed(ConnectRequested())
    seen = []
    for _ in range(S.max_attempts - 1):
        seen += delays(m.feed(NetworkError("refused")))
        assert m.state.state is ConnectionState.RECONNECTING
        assert m.feed(RetryDue(), after=seen[-1]) == [Connect()]
    assert seen == [1, 2, 4, 8, 16, 30, 30, 30, 30]
    actions = m.feed(NetworkError("refused"))
    assert m.state.state is ConnectionState.ERROR
    assert "gave up after 10 attempts" in m.state.reason
    # The slow retry: every 5 minutes, never a tight loop.
    assert delays(actions) == [300.0]


def test_slow_retry_after_giving_up_tries_once_then_waits_again():
    m = Machine(rng=0.5)
    m.feed(ConnectRequested())
    for _ in range(S.max_attempts):
        m.feed(NetworkError("refused"))
        m.feed(RetryDue())
    assert m.state.state is ConnectionState.RECONNECTING  # the slow retry's attempt
    actions = m.feed(NetworkError("still refused"))
    assert m.state.state is ConnectionState.ERROR
    assert delays(actions) == [300.0]


def test_slow_retry_can_be_turned_off():
    m = Machine(PolicySettings(slow_retry=None))
    m.feed(ConnectRequested())
    for _ in range(S.max_attempts):
        actions = m.feed(NetworkError("refused"))
        if m.state.state is ConnectionState.RECONNECTING:
            m.feed(RetryDue())
    assert m.state.state is ConnectionState.ERROR
    assert not delays(actions)


@pytest.mark.parametrize("attempt", range(1, 12))
@pytest.mark.parametrize("rng", [0.0, 0.37, 0.999999])
def test_full_jitter_stays_within_zero_and_the_window(attempt, rng):
    delay = backoff_delay(attempt, S, lambda: rng)
    window = min(S.max_delay, S.base_delay * 2 ** (attempt - 1))
    assert 0.0 <= delay <= window
    assert delay == pytest.approx(window * rng)


def test_jitter_spreads_delays_rather_than_repeating_one():
    import random

    rng = random.Random(42)
    samples = {round(backoff_delay(5, S, rng.random), 3) for _ in range(50)}
    assert len(samples) > 40 and max(samples) <= 16


def test_attempt_count_survives_short_connections_and_resets_after_stable_ones():
    m = Machine(rng=1.0)
    m.connected()
    for expected in (1, 2, 4):
        assert delays(m.feed(Closed(1006), after=0.5)) == [expected]
        m.feed(RetryDue(), after=expected)
        m.feed(HandshakeOk())
    # A server that accepts then drops keeps escalating: no storm.
    assert delays(m.feed(Closed(1006), after=0.5)) == [8]
    m.feed(RetryDue(), after=8)
    m.feed(HandshakeOk())
    # After a stable connection the count starts over.
    assert delays(m.feed(Closed(1006), after=S.stable_after)) == [1]


def test_manual_reconnect_during_backoff_resets_and_connects_now():
    m = Machine(rng=1.0)
    m.feed(ConnectRequested())
    for _ in range(5):
        m.feed(NetworkError("x"))
        m.feed(RetryDue())
    m.feed(NetworkError("x"))
    assert m.state.attempts == 6 and m.state.retry_at is not None
    actions = m.feed(ManualReconnect(), after=1)
    assert actions == [CancelRetry(), CloseConnection(), Connect()]
    assert m.state.state is ConnectionState.CONNECTING
    assert m.state.attempts == 0 and m.state.retry_at is None
    # The stale timer of the cancelled wait does nothing.
    assert m.feed(RetryDue()) == []
    assert delays(m.feed(NetworkError("x"))) == [1.0]


def test_manual_reconnect_leaves_error_state():
    m = Machine().connected()
    m.feed(Closed(4003))
    assert m.state.state is ConnectionState.ERROR
    assert Connect() in m.feed(ManualReconnect())
    assert m.state.state is ConnectionState.CONNECTING


def test_disconnect_stops_all_retries_and_ignores_late_reports():
    m = Machine()
    m.feed(ConnectRequested())
    m.feed(NetworkError("x"))
    actions = m.feed(DisconnectRequested())
    assert actions == [CancelRetry(), CloseConnection()]
    assert m.state.state is ConnectionState.DISCONNECTED
    for late in (RetryDue(), NetworkError("late"), Closed(1006), HandshakeOk(), HeartbeatMissed()):
        assert m.feed(late, after=100) == []
        assert m.state.state is ConnectionState.DISCONNECTED


def test_heartbeat_missed_backs_off_like_a_drop():
    m = Machine().connected()
    actions = m.feed(HeartbeatMissed(), after=30)
    assert m.state.state is ConnectionState.RECONNECTING
    assert "heartbeat" in m.state.reason
    assert len(delays(actions)) == 1


def test_clock_jump_during_backoff_connects_now():
    m = Machine(rng=1.0)
    m.feed(ConnectRequested())
    for _ in range(6):
        m.feed(NetworkError("x"))
        m.feed(RetryDue())
    m.feed(NetworkError("x"))  # now waiting up to 30 s
    assert m.feed(ClockJumped()) == [CancelRetry(), Connect()]
    assert m.state.retry_at is None


def test_clock_jump_while_connected_replaces_the_probably_dead_socket():
    m = Machine().connected()
    assert m.feed(ClockJumped()) == [CloseConnection(), Connect()]
    assert m.state.state is ConnectionState.RECONNECTING


def test_clock_jump_in_final_error_does_nothing():
    m = Machine().connected()
    m.feed(Closed(1008))
    assert m.feed(ClockJumped()) == []


def _login_again_by_refusal(m: Machine) -> None:
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(403))
    m.feed(TokenRefreshed())
    m.feed(HandshakeRejected(403))
    m.feed(TokenChecked(accepted=False))


def _origin_refused(m: Machine) -> None:
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(403))
    m.feed(TokenRefreshed())
    m.feed(HandshakeRejected(403))
    m.feed(TokenChecked(accepted=True, origin=ORIGIN))


def _session_expired(m: Machine) -> None:
    m.feed(ConnectRequested())
    m.feed(HandshakeRejected(401))
    m.feed(TokenRefreshFailed(session_expired=True))


def _forbidden(m: Machine) -> None:
    m.connected()
    m.feed(Closed(4003))


def _gave_up(m: Machine) -> None:
    m.feed(ConnectRequested())
    for _ in range(S.max_attempts):
        m.feed(NetworkError("refused"))


@pytest.mark.parametrize(
    ("reach", "code", "needs_login"),
    [
        (_login_again_by_refusal, StateCode.LOGIN_AGAIN, True),
        (_origin_refused, StateCode.ORIGIN_REFUSED, False),
        (_session_expired, StateCode.SESSION_EXPIRED, True),
        (_forbidden, StateCode.FORBIDDEN, False),
        (_gave_up, StateCode.GAVE_UP, False),
    ],
)
def test_every_error_carries_a_code_that_says_whether_to_log_in(reach, code, needs_login):
    m = Machine()
    reach(m)
    assert m.state.state is ConnectionState.ERROR
    assert m.state.code is code
    assert m.state.code.needs_login is needs_login


@pytest.mark.parametrize(
    ("event", "code"),
    [
        (Closed(1006), StateCode.CLOSED),
        (HandshakeRejected(502), StateCode.HANDSHAKE_REFUSED),
        (NetworkError("x"), StateCode.NETWORK),
        (HeartbeatMissed(), StateCode.HEARTBEAT),
        (Closed(4001), StateCode.REFRESHING_TOKEN),
    ],
)
def test_retrying_states_say_why(event, code):
    m = Machine().connected()
    m.feed(event)
    assert m.state.state is ConnectionState.RECONNECTING and m.state.code is code
