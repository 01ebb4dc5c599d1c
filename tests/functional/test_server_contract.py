"""The demo server answers every call and frame of PROTOCOL.md as a Django/DRF/Channels server does.

Clients here are plain httpx and websockets, as a third party would use.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer

COLLECTION = "/api/notifications/notifications/"


async def login(
    http: httpx.AsyncClient, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD
) -> dict:
    response = await http.post("/api/auth/login/", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def http(server: DemoServer):
    async with httpx.AsyncClient(base_url=server.url) as client:
        yield client


@pytest.fixture
async def tokens(http):
    return (await login(http))["tokens"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def socket_url(server: DemoServer, token: str | None) -> str:
    base = server.url.replace("http://", "ws://") + "/ws/notifications/"
    return base if token is None else f"{base}?token={token}"


async def next_frame(ws, kind: str | None = None, timeout: float = 3.0) -> dict:
    """The next frame (of ``kind``, skipping others)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if kind is None or frame["type"] == kind:
                return frame


# -- auth --------------------------------------------------------------------------------------
async def test_login_answers_tokens_and_user(http):
    body = await login(http)
    assert set(body["tokens"]) == {"access", "refresh"}
    assert body["user"]["email"] == DEMO_EMAIL and isinstance(body["user"]["id"], int)


async def test_bad_credentials_answer_401_detail_like_simplejwt(http):
    response = await http.post("/api/auth/login/", json={"email": DEMO_EMAIL, "password": "no"})
    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found with the given credentials"}


async def test_bad_credentials_can_answer_400_non_field_errors(server, http):
    server.faults.login_error_status = 400
    response = await http.post("/api/auth/login/", json={"email": "x@y", "password": "no"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


async def test_refresh_rotates_and_blacklists_the_old_refresh_token(http, tokens):
    first = await http.post("/api/auth/token/refresh/", json={"refresh": tokens["refresh"]})
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]
    again = await http.post("/api/auth/token/refresh/", json={"refresh": tokens["refresh"]})
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    newer = await http.post("/api/auth/token/refresh/", json={"refresh": first.json()["refresh"]})
    assert newer.status_code == 200


async def test_an_access_token_is_not_a_refresh_token(http, tokens):
    response = await http.post("/api/auth/token/refresh/", json={"refresh": tokens["access"]})
    assert response.status_code == 401


async def test_logout_needs_access_answers_205_and_revokes(http, tokens):
    unauthenticated = await http.post("/api/auth/logout/", json={"refresh": tokens["refresh"]})
    assert unauthenticated.status_code == 401
    response = await http.post(
        "/api/auth/logout/", json={"refresh": tokens["refresh"]}, headers=bearer(tokens["access"])
    )
    assert response.status_code == 205 and response.content == b""
    refused = await http.post("/api/auth/token/refresh/", json={"refresh": tokens["refresh"]})
    assert refused.status_code == 401


async def test_expired_access_token_answers_simplejwt_401_body():
    async with DemoServer(access_lifetime=-5, seed_count=1) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            access = (await login(http))["tokens"]["access"]
            response = await http.get(COLLECTION, headers=bearer(access))
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "token_not_valid"
    assert body["detail"] == "Given token not valid for any token type"
    assert isinstance(body["messages"], list)


async def test_missing_credentials_answer_401(http):
    response = await http.get(COLLECTION)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


# -- notifications REST -------------------------------------------------------------------------
async def test_pagination_walks_absolute_next_to_the_end_newest_first(server, http, tokens):
    url: str | None = f"{server.url}{COLLECTION}?page_size=7"
    seen: list[dict] = []
    pages = 0
    while url:
        response = await http.get(url, headers=bearer(tokens["access"]))
        assert response.status_code == 200
        body = response.json()
        assert set(body) >= {"count", "next", "previous", "results"}
        assert body["count"] == 30
        if body["next"]:
            assert body["next"].startswith(server.url)  # absolute
        assert (body["previous"] is None) == (pages == 0)
        seen += body["results"]
        url = body["next"]
        pages += 1
    assert pages == 5 and len(seen) == 30
    assert len({n["id"] for n in seen}) == 30
    stamps = [n["created_at"] for n in seen]
    assert stamps == sorted(stamps, reverse=True)


async def test_page_size_is_capped_at_100_and_bad_pages_answer_404(http, tokens):
    big = await http.get(COLLECTION, params={"page_size": 500}, headers=bearer(tokens["access"]))
    assert big.status_code == 200 and len(big.json()["results"]) == 30
    for page in ("99", "0", "x"):
        response = await http.get(
            COLLECTION, params={"page": page}, headers=bearer(tokens["access"])
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "Invalid page."}


async def test_filters(server, http, tokens):
    await server.create_notification(
        title="Needle in the hay", notification_type="new_message", priority="urgent"
    )
    auth = bearer(tokens["access"])

    async def fetch(**params):
        response = await http.get(COLLECTION, params={"page_size": 100, **params}, headers=auth)
        assert response.status_code == 200
        return response.json()["results"]

    unread = await fetch(is_read="false")
    assert unread and all(not n["is_read"] for n in unread)
    read = await fetch(is_read="true")
    assert read and all(n["is_read"] for n in read)
    assert len(unread) + len(read) == 31
    assert all(n["notification_type"] == "new_message" for n in await fetch(type="new_message"))
    assert all(n["priority"] == "urgent" for n in await fetch(priority="urgent"))
    assert [n["title"] for n in await fetch(search="needle")] == ["Needle in the hay"]


async def test_detail_mark_read_twice_unread_delete(server, http, tokens):
    auth = bearer(tokens["access"])
    created = await server.create_notification(title="t")
    item = f"{COLLECTION}{created['id']}/"
    detail = await http.get(item, headers=auth)
    assert detail.status_code == 200 and detail.json()["id"] == created["id"]
    assert "updated_at" in detail.json()

    first = await http.post(item + "mark_as_read/", headers=auth)
    assert first.status_code == 200
    assert first.json()["notification_id"] == created["id"] and first.json()["read_at"]
    second = await http.post(item + "mark_as_read/", headers=auth)
    assert second.status_code == 400  # already read

    unread = await http.post(item + "mark_as_unread/", headers=auth)
    assert unread.status_code == 200 and server.user().by_id[created["id"]]["is_read"] is False

    deleted = await http.delete(item, headers=auth)
    assert deleted.status_code == 204
    assert (await http.get(item, headers=auth)).status_code == 404
    assert (await http.post(item + "mark_as_read/", headers=auth)).status_code == 404


async def test_unread_count_adds_the_breakdown_only_when_asked(server, http, tokens):
    auth = bearer(tokens["access"])
    plain = (await http.get(COLLECTION + "unread_count/", headers=auth)).json()
    assert plain == {"unread_count": server.state.unread_count(server.user())}
    asked = await http.get(
        COLLECTION + "unread_count/", params={"include_breakdown": "true"}, headers=auth
    )
    body = asked.json()
    assert sum(body["type_breakdown"].values()) == body["unread_count"] > 0
    assert body["latest_unread_at"]
    server.faults.offer_breakdown = False
    ignored = await http.get(
        COLLECTION + "unread_count/", params={"include_breakdown": "true"}, headers=auth
    )
    assert "type_breakdown" not in ignored.json()


async def test_clear_read_deletes_every_read_one_and_can_be_missing(server, http, tokens):
    auth = bearer(tokens["access"])
    user = server.user()
    read = sum(1 for n in user.notifications if n["is_read"])
    unread = server.state.unread_count(user)
    assert read > 0
    answered = await http.post(COLLECTION + "clear_read/", headers=auth)
    assert answered.status_code == 200 and answered.json()["deleted_count"] == read
    assert len(user.notifications) == unread == len(user.by_id)
    server.faults.offer_clear_read = False
    assert (await http.post(COLLECTION + "clear_read/", headers=auth)).status_code == 404


PREFERENCES = "/api/notifications/preferences/notification_preferences/"


async def test_preferences_read_and_written_whole_with_drf_errors(server, http, tokens):
    auth = bearer(tokens["access"])
    first = (await http.get(PREFERENCES, headers=auth)).json()
    assert first["quiet_hours_start"] is None and "new_message" in first["enabled_types"]
    changed = {
        **first,
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
        "push_enabled": False,
    }
    saved = await http.put(PREFERENCES, json=changed, headers=auth)
    assert saved.status_code == 200
    assert saved.json()["quiet_hours_start"] == "22:00:00" and saved.json()["push_enabled"] is False
    bad = await http.put(PREFERENCES, json={**first, "quiet_hours_end": "25:00"}, headers=auth)
    assert bad.status_code == 400 and "quiet_hours_end" in bad.json()
    assert (await http.get(PREFERENCES, headers=auth)).json()["quiet_hours_end"] == "07:30:00"
    server.faults.offer_preferences = False
    assert (await http.get(PREFERENCES, headers=auth)).status_code == 404


async def test_bulk_mark_all_read_and_the_legacy_route(server, http, tokens):
    auth = bearer(tokens["access"])
    before = server.state.unread_count(server.user())
    bulk = await http.post(
        COLLECTION + "bulk_actions/", json={"action": "mark_all_read"}, headers=auth
    )
    assert bulk.status_code == 200 and bulk.json()["affected_count"] == before
    await server.create_notification()
    legacy = await http.post(COLLECTION + "mark_all_read/", headers=auth)
    assert legacy.status_code == 200 and legacy.json()["affected_count"] == 1
    bad = await http.post(COLLECTION + "bulk_actions/", json={"action": "explode"}, headers=auth)
    assert bad.status_code == 400


async def test_mark_all_routes_can_be_switched_off(server, http, tokens):
    auth = bearer(tokens["access"])
    server.faults.offer_bulk_actions = False
    bulk = await http.post(
        COLLECTION + "bulk_actions/", json={"action": "mark_all_read"}, headers=auth
    )
    assert bulk.status_code == 404
    server.faults.offer_bulk_actions, server.faults.offer_legacy_mark_all = True, False
    assert (await http.post(COLLECTION + "mark_all_read/", headers=auth)).status_code == 404


# -- WebSocket ------------------------------------------------------------------------------------
async def test_socket_accepts_with_token_and_origin_then_acks_and_counts(server, tokens):
    async with connect(socket_url(server, tokens["access"]), origin=server.url) as ws:
        assert await next_frame(ws) == {"type": "connection_ack", "user_id": server.user().id}
        count = await next_frame(ws)
        assert count == {
            "type": "unread_count",
            "data": {"unread_count": server.state.unread_count(server.user())},
        }


async def test_socket_takes_the_token_from_the_bearer_header(server, tokens):
    async with connect(
        socket_url(server, None), origin=server.url, additional_headers=bearer(tokens["access"])
    ) as ws:
        assert (await next_frame(ws))["type"] == "connection_ack"


@pytest.mark.parametrize(
    "case", ["no token", "bad token", "refresh token", "no origin", "other origin"]
)
async def test_socket_refusals_are_http_403_at_the_handshake(server, tokens, case):
    token = {"no token": None, "bad token": "garbage", "refresh token": tokens["refresh"]}.get(
        case, tokens["access"]
    )
    origin = {"no origin": None, "other origin": "http://evil.example"}.get(case, server.url)
    with pytest.raises(InvalidStatus) as caught:
        async with connect(socket_url(server, token), origin=origin):
            pass
    assert caught.value.response.status_code == 403


@pytest.mark.parametrize(
    ("allowed", "origin", "accepted"),
    [
        ("https://app.example.com", "https://app.example.com", True),
        ("https://app.example.com", "https://APP.example.com:443", True),  # default port
        ("https://app.example.com", "http://app.example.com", False),  # another scheme
        ("https://app.example.com", "https://app.example.com:8443", False),  # another port
        ("https://app.example.com", "https://evil.example.com", False),
        ("https://app.example.com", "SERVER", False),  # the server's own is not enough
        ("https://app.example.com", None, False),
        (".example.com", "https://app.example.com", True),  # a domain and its subdomains
        ("https://.example.com", "https://example.com", True),
        ("example.com", "https://app.example.com", False),  # a bare host is that host only
        ("*", None, True),
    ],
)
async def test_an_origin_checking_socket_refuses_other_origins_as_channels_does(
    server, http, tokens, allowed, origin, accepted
):
    """Channels' OriginValidator(["https://app.example.com"]): only that Origin
    passes the handshake; REST never looks at it."""
    server.faults.allowed_origins = (allowed,)
    sent = server.url if origin == "SERVER" else origin
    if accepted:
        async with connect(socket_url(server, tokens["access"]), origin=sent) as ws:
            assert (await next_frame(ws))["type"] == "connection_ack"
    else:
        with pytest.raises(InvalidStatus) as caught:
            async with connect(socket_url(server, tokens["access"]), origin=sent):
                pass
        assert caught.value.response.status_code == 403
    answer = await http.get(COLLECTION + "unread_count/", headers=bearer(tokens["access"]))
    assert answer.status_code == 200


async def test_expired_access_token_is_refused_at_the_handshake():
    async with DemoServer(access_lifetime=-5, seed_count=1) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            access = (await login(http))["tokens"]["access"]
        with pytest.raises(InvalidStatus) as caught:
            async with connect(socket_url(server, access), origin=server.url):
                pass
    assert caught.value.response.status_code == 403


async def test_ping_pong_and_get_unread_count(server, tokens):
    async with connect(socket_url(server, tokens["access"]), origin=server.url) as ws:
        await next_frame(ws, "unread_count")
        await ws.send('{"type": "ping"}')
        assert await next_frame(ws) == {"type": "pong"}
        await ws.send('{"type": "get_unread_count"}')
        assert (await next_frame(ws))["type"] == "unread_count"


async def test_bad_client_frames_get_an_error_frame_and_the_socket_stays(server, tokens):
    async with connect(socket_url(server, tokens["access"]), origin=server.url) as ws:
        await next_frame(ws, "unread_count")
        await ws.send("not json")
        error = await next_frame(ws)
        assert error["type"] == "error" and error["error"]
        await ws.send('{"type": "ping"}')
        assert await next_frame(ws) == {"type": "pong"}


async def test_broadcast_reaches_both_sockets_of_the_user_and_not_another_user(server, tokens):
    server.state.add_user("other@tiri.local", "pw")
    async with httpx.AsyncClient(base_url=server.url) as http:
        other = (await login(http, "other@tiri.local", "pw"))["tokens"]["access"]
        async with (
            connect(socket_url(server, tokens["access"]), origin=server.url) as first,
            connect(socket_url(server, tokens["access"]), origin=server.url) as second,
            connect(socket_url(server, other), origin=server.url) as stranger,
        ):
            for ws in (first, second, stranger):
                await next_frame(ws, "unread_count")
            created = await server.create_notification(title="for demo only")
            for ws in (first, second):
                frame = await next_frame(ws)
                assert frame["type"] == "notification" and frame["data"]["id"] == created["id"]
                assert (await next_frame(ws))["type"] == "unread_count"
            # An update (read through REST) is broadcast as a notification frame with the same id.
            item = f"{COLLECTION}{created['id']}/mark_as_read/"
            assert (await http.post(item, headers=bearer(tokens["access"]))).status_code == 200
            for ws in (first, second):
                frame = await next_frame(ws, "notification")
                assert frame["data"]["id"] == created["id"] and frame["data"]["is_read"] is True
            await stranger.send('{"type": "ping"}')
            assert await next_frame(stranger) == {"type": "pong"}  # nothing else arrived first


async def test_mark_frames_over_the_socket(server, tokens):
    created = await server.create_notification()
    async with connect(socket_url(server, tokens["access"]), origin=server.url) as ws:
        await next_frame(ws, "unread_count")
        await ws.send(json.dumps({"type": "mark_as_read", "notification_id": created["id"]}))
        frame = await next_frame(ws, "notification")
        assert frame["data"]["id"] == created["id"] and frame["data"]["is_read"]
        await next_frame(ws, "unread_count")  # the count after that one mark
        await ws.send('{"type": "mark_all_as_read"}')
        assert (await next_frame(ws, "unread_count"))["data"]["unread_count"] == 0
        assert server.state.unread_count(server.user()) == 0


# -- control surface ------------------------------------------------------------------------------
@pytest.mark.parametrize("code", [1000, 4001, 4003, 3000])
async def test_close_sockets_with_a_chosen_code(server, tokens, code):
    async with connect(socket_url(server, tokens["access"]), origin=server.url) as ws:
        await next_frame(ws, "unread_count")
        assert await server.close_sockets(DEMO_EMAIL, code, "bye") == 1
        with pytest.raises(ConnectionClosed) as caught:
            await next_frame(ws)
    assert caught.value.rcvd.code == code


async def test_dropping_the_tcp_connection_shows_1006(server, tokens):
    async with connect(socket_url(server, tokens["access"]), origin=server.url) as ws:
        await next_frame(ws, "unread_count")
        await server.close_sockets(DEMO_EMAIL, None)
        with pytest.raises(ConnectionClosed) as caught:
            await next_frame(ws)
        assert caught.value.rcvd is None and ws.close_code == 1006


async def test_raw_frames_and_route_status(server, tokens):
    async with connect(socket_url(server, tokens["access"]), origin=server.url) as ws:
        await next_frame(ws, "unread_count")
        await server.send_raw(DEMO_EMAIL, "\x00garbage{")
        assert await ws.recv() == "\x00garbage{"
    for status in (404, 500):
        server.faults.ws_route_status = status
        with pytest.raises(InvalidStatus) as caught:
            async with connect(socket_url(server, tokens["access"]), origin=server.url):
                pass
        assert caught.value.response.status_code == status


async def test_half_open_peer_stops_answering_pings(server, tokens):
    async with connect(
        socket_url(server, tokens["access"]), origin=server.url, ping_interval=None
    ) as ws:
        await next_frame(ws, "unread_count")
        assert await asyncio.wait_for(await ws.ping(), 2) >= 0
        server.faults.answer_pings = False
        waiter = await ws.ping()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(waiter, 0.3)


async def test_stop_and_start_again_on_the_same_port(server, tokens):
    port = server.port
    await server.stop()
    with pytest.raises(OSError):
        async with connect(socket_url(server, tokens["access"]), origin=server.url, open_timeout=1):
            pass
    await server.start()
    assert server.port == port
    async with connect(socket_url(server, tokens["access"]), origin=server.url) as ws:
        assert (await next_frame(ws))["type"] == "connection_ack"
