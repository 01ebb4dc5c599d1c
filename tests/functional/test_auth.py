"""Auth against the demo server: single-flight refresh, rotation, the token store."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from tests.support.clients import make_client
from tiri_tui.connection.auth import FileTokenStore, Session, needs_refresh
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD
from tiri_tui.wire.errors import LoginFailed, NotLoggedIn, SessionExpired


async def test_concurrent_callers_share_one_refresh(server, client):
    before = server.state.refresh_calls
    old_refresh = client.auth.session.refresh
    tokens = await asyncio.gather(
        *(client.auth.access_token(force_refresh=True) for _ in range(10))
    )
    assert server.state.refresh_calls == before + 1
    assert len(set(tokens)) == 1
    assert client.auth.session.refresh != old_refresh  # the rotated one was stored
    # The session still works: the blacklisted token was never used twice.
    await client.auth.access_token(force_refresh=True)
    assert server.state.refresh_calls == before + 2


async def test_rejected_refresh_token_is_session_expired_and_forgets_it(server, client):
    server.state.revoke(client.auth.session.refresh)
    with pytest.raises(SessionExpired) as caught:
        await client.auth.access_token(force_refresh=True)
    assert f"tiri-tui --server {server.url} login" in str(caught.value)
    with pytest.raises(NotLoggedIn):
        await client.auth.access_token()


async def test_a_refresh_rotated_by_another_process_is_adopted(server, home, client):
    other = make_client(server, home)  # same store: another program on this machine
    try:
        await other.auth.access_token(force_refresh=True)  # rotates; ours is now blacklisted
        token = await client.auth.access_token(force_refresh=True)
        assert token == other.auth.session.access
        assert client.auth.session.refresh == other.auth.session.refresh
        assert client.auth.session is not None
        await client.auth.access_token(force_refresh=True)  # and the session goes on
    finally:
        await other.aclose()


async def test_login_failure_carries_the_server_message(server, home):
    tiri = make_client(server, home)
    try:
        with pytest.raises(LoginFailed, match="No active account"):
            await tiri.auth.login(DEMO_EMAIL, "nope")
    finally:
        await tiri.aclose()


async def test_logout_forgets_locally_even_when_the_server_is_gone(server, home):
    tiri = make_client(server, home)
    await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    await server.stop()
    try:
        await tiri.auth.logout()
        assert tiri.auth.session is None
        assert not list((home / "config" / "sessions").glob("*.json"))
    finally:
        await tiri.aclose()


def test_file_store_is_private_and_atomic(tmp_path):
    store = FileTokenStore(tmp_path / "sessions")
    session = Session("a" * 20, "r" * 20, "me@x", "1")
    store.save("http://h", session)
    path = store.path_for("http://h")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.load("http://h") == session
    assert store.load("http://other") is None
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    store.clear("http://h")
    assert store.load("http://h") is None


def test_world_readable_token_file_is_reported_and_fixed(tmp_path, caplog):
    store = FileTokenStore(tmp_path)
    store.save("http://h", Session("a" * 20, "r" * 20))
    path = store.path_for("http://h")
    os.chmod(path, 0o644)
    assert store.load("http://h") is not None
    assert "readable by others" in caplog.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_corrupt_token_file_is_ignored(tmp_path):
    store = FileTokenStore(tmp_path)
    store.save("http://h", Session("a" * 20, "r" * 20))
    store.path_for("http://h").write_text("{not json")
    assert store.load("http://h") is None
    store.path_for("http://h").write_text(json.dumps({"access": 1}))
    assert store.load("http://h") is None


def _token(exp: float, iat: float) -> str:
    import jwt

    return jwt.encode({"exp": int(exp), "iat": int(iat)}, "k" * 32, algorithm="HS256")


@pytest.mark.parametrize(
    ("lifetime", "left", "expected"),
    [
        (300, 120, False),  # plenty left
        (300, 59, True),  # within the 60 s margin
        (5, 2, False),  # short token: margin is a quarter of the lifetime (1.25 s)
        (5, 1, True),
        (5, -1, True),  # already expired
    ],
)
def test_refresh_margin(lifetime, left, expected):
    now = 10_000.0
    exp = now + left
    assert needs_refresh(_token(exp, exp - lifetime), now) is expected


def test_tokens_without_exp_are_not_refreshed_ahead():
    import jwt

    assert needs_refresh(jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256"), 1e12) is False
    assert needs_refresh("not a jwt", 0) is False
