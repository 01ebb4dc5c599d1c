"""The REST client's gate: every call's Retry-After, retries of reads, and
"login required" told to whoever subscribed, whichever call found it."""

from __future__ import annotations

import httpx
import pytest

from tests.support.fakes import ScriptedWorker
from tiri_tui.connection.api import TiriApi
from tiri_tui.sync.controller import NotificationController
from tiri_tui.sync.rules import Filters
from tiri_tui.sync.store import Outbox
from tiri_tui.wire.errors import ApiError, RateLimited, SessionExpired

SERVER = "http://tiri.test"
PAGE = {"count": 0, "next": None, "previous": None, "results": []}


class TokenAuth:
    """A session whose token is always good."""

    async def access_token(self, force_refresh: bool = False) -> str:
        return "token"


class ExpiredAuth:
    """A session whose refresh token the server refused."""

    async def access_token(self, force_refresh: bool = False) -> str:
        raise SessionExpired(SERVER)


def gate(answers: list[int], auth: object = None) -> tuple[TiriApi, list[str], list[float]]:
    """An API over a transport answering ``answers`` in turn (then 200s)."""
    asked: list[str] = []
    pauses: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        status = answers.pop(0) if answers else 200
        headers = {"Retry-After": "7"} if status == 429 else {}
        return httpx.Response(status, json=PAGE if status == 200 else {}, headers=headers)

    http = httpx.AsyncClient(base_url=SERVER, transport=httpx.MockTransport(answer))

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    api = TiriApi(SERVER, lambda: http, auth or TokenAuth(), sleep=sleep)  # type: ignore[arg-type]
    return api, asked, pauses


async def test_a_read_that_fails_transiently_is_tried_as_often_as_asked():
    api, asked, pauses = gate([503, 502])
    page = await api.list(attempts=3)
    assert page.count == 0 and len(asked) == 3 and pauses == [0.1, 0.2]


async def test_a_read_asked_once_fails_at_its_first_transient_failure():
    api, asked, _ = gate([503])
    with pytest.raises(ApiError):
        await api.list()
    assert len(asked) == 1


async def test_a_refusal_is_never_tried_again():
    api, asked, _ = gate([404])
    with pytest.raises(ApiError):
        await api.follow(SERVER + "/api/notifications/notifications/?page=2", attempts=3)
    assert len(asked) == 1


async def test_a_429_is_not_tried_again_and_holds_every_later_call():
    api, asked, pauses = gate([429])
    with pytest.raises(RateLimited):
        await api.list(attempts=3)
    with pytest.raises(RateLimited):
        await api.unread_count()
    assert len(asked) == 1 and pauses == [] and api.paused_for() > 6


async def test_login_required_is_told_to_every_watcher_whichever_call_found_it():
    api, asked, _ = gate([], ExpiredAuth())
    told: list[str] = []
    stop = api.when_login_required(lambda: told.append("first"))
    api.when_login_required(lambda: told.append("second"))
    with pytest.raises(SessionExpired):
        await api.unread_count()
    assert told == ["first", "second"] and asked == []
    stop()
    with pytest.raises(SessionExpired):
        await api.mark_read("n1")
    assert told == ["first", "second", "second"]


async def test_a_saved_views_count_that_finds_the_session_expired_ends_the_session():
    api, _, _ = gate([], ExpiredAuth())
    controller = NotificationController(api, ScriptedWorker, Outbox(":memory:"))  # type: ignore[arg-type]
    with pytest.raises(SessionExpired):
        await controller.count_unread(Filters(unread_only=True))
    assert controller.session_expired and controller.needs_login
    await controller.aclose()
