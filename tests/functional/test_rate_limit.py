"""Retry-After has one owner, the REST client: a 429 any caller meets pauses every
REST call of that client until the server's time is up, without asking it again."""

from __future__ import annotations

import time

import pytest

from tiri_tui.wire.errors import RateLimited


async def test_a_429_pauses_every_rest_call_until_retry_after(server, client):
    api = client.api
    target = server.user().notifications[0]["id"]
    server.faults.retry_after = 30
    server.faults.throttle_until = time.monotonic() + 30
    with pytest.raises(RateLimited):
        await api.mark_read(target)  # the outbox's call
    assert len(server.faults.throttled_answers) == 1
    for call in (api.list, api.unread_count):  # a walk's, a count's
        with pytest.raises(RateLimited) as refused:
            await call()
        assert refused.value.retry_after is not None and 29 < refused.value.retry_after <= 30
    assert len(server.faults.throttled_answers) == 1, "asked the server again within Retry-After"
    assert 29 < api.paused_for() <= 30


async def test_once_retry_after_has_passed_the_calls_go_through(server, client):
    api = client.api
    server.faults.retry_after = 0
    server.faults.throttle_until = time.monotonic() + 0.05
    with pytest.raises(RateLimited):
        await api.unread_count()
    assert api.paused_for() == 0
    server.faults.throttle_until = 0.0
    assert await api.unread_count() == server.state.unread_count(server.user())  # answered, truly
