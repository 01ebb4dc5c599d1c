"""A socket that accepts only its web app's Origin (Channels' OriginValidator)
while REST accepts the token: the session is kept, the state names the Origin
sent and the `origin` setting, and retries are slow; a token REST refuses too
still asks for a login."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator

import pytest

from tests.support.clients import FAST_CONTROLLER, FAST_REALTIME
from tests.support.waiting import wait_for
from tiri_tui.client import TiriClient
from tiri_tui.commands.tailing import run_tail
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.settings.config import Settings

WEB_APP = "https://app.example.com"


@pytest.fixture
def checked(server: DemoServer) -> DemoServer:
    """The demo server as `serve --ws-origins https://app.example.com` runs it."""
    server.faults.allowed_origins = (WEB_APP,)
    return server


def settings(server: DemoServer, home, origin: str | None = None) -> Settings:
    return Settings(server=server.url, home=home, origin=origin)


@pytest.fixture
async def make(checked, home) -> AsyncIterator:
    """Logged-in clients of the origin-checking server (``origin``: the setting)."""
    made: list[TiriClient] = []

    async def client(origin: str | None = None) -> TiriClient:
        tiri = TiriClient(
            settings(checked, home, origin),
            realtime=FAST_REALTIME,
            controller=FAST_CONTROLLER,
            http_timeout=2.0,
        )
        made.append(tiri)
        if tiri.auth.session is None:
            await tiri.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        return tiri

    yield client
    for tiri in made:
        await tiri.aclose()


async def test_a_refused_origin_keeps_the_session_names_the_origin_and_retries_slowly(
    checked, home, make
):
    client = await make()
    controller = client.open_controller()
    await controller.start()
    await wait_for(lambda: controller.state is ConnectionState.ERROR, what="the error state")
    refreshes = checked.state.refresh_calls
    assert controller.code.value == "origin_refused", controller.reason
    assert not controller.needs_login
    reason = controller.reason
    assert f"Origin {checked.url} " in reason  # the one sent: the server's own
    assert "`origin`" in reason and "TIRI_ORIGIN" in reason and "--origin" in reason
    assert "log in" not in reason and "login" not in reason
    # Retried slowly, as any error: the policy's slow retry is scheduled.
    assert controller.retry_in == pytest.approx(FAST_REALTIME.policy.slow_retry, abs=1)
    # The session is kept (stored, and still working over REST).
    assert TiriClient(settings(checked, home)).auth.session is not None
    await wait_for(lambda: controller.loaded.is_set() and len(controller.inbox) >= 20)
    created = await checked.create_notification(title="through REST")
    await wait_for(lambda: created["id"] in controller.inbox, what="the fallback refresh")
    assert checked.state.refresh_calls == refreshes  # no refresh storm meanwhile
    # `r` tries again at once and lands in the same place, without a login.
    controller.reconnect()
    await wait_for(lambda: controller.state is ConnectionState.ERROR, what="refused again")
    assert controller.code.value == "origin_refused"


async def test_the_origin_setting_gets_through_the_check(checked, make):
    client = await make(origin=WEB_APP)
    controller = client.open_controller()
    await controller.start()
    await wait_for(lambda: controller.state is ConnectionState.CONNECTED, what="connected")


async def test_a_token_refused_over_rest_too_still_asks_for_a_login(checked, make):
    client = await make()
    checked.faults.refuse_access_tokens = True
    controller = client.open_controller()
    await controller.start()
    await wait_for(lambda: controller.state is ConnectionState.ERROR, what="the error state")
    assert controller.code.value == "login_again" and controller.needs_login


async def tail(client: TiriClient) -> tuple[asyncio.Task[int], io.StringIO, asyncio.Event]:
    out, stop = io.StringIO(), asyncio.Event()
    task = asyncio.create_task(run_tail(client, as_json=True, newest=0, out=out, stop=stop))
    return task, out, stop


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_tail_keeps_running_on_a_refused_origin_and_prints_why(checked, make):
    task, out, stop = await tail(await make())
    await wait_for(lambda: '"state":"error"' in out.getvalue() or task.done(), what="an error")
    errors = [x for x in lines(out) if x.get("state") == "error"]
    assert errors[-1]["code"] == "origin_refused", out.getvalue()
    assert f"Origin {checked.url} " in errors[-1]["reason"]
    assert not any("login" in x.get("message", "") for x in lines(out))
    assert not task.done()  # still there, retrying
    stop.set()
    assert await task == 0


async def test_tail_exits_2_when_rest_refuses_the_token_too(checked, make):
    client = await make()
    checked.faults.refuse_access_tokens = True
    task, out, _ = await tail(client)
    assert await asyncio.wait_for(task, 10) == 2
    assert any("login" in x.get("message", "") for x in lines(out)), out.getvalue()


async def test_count_watch_is_not_stale_while_rest_answers_for_a_refused_origin(checked, make):
    """The socket is refused, REST is not: the count it prints is the server's."""
    from tiri_tui.commands.counting import watch

    client = await make()
    out = io.StringIO()
    watching = asyncio.ensure_future(watch(client, "json", out))
    try:
        await wait_for(lambda: out.getvalue(), what="a first reading")
        unread = checked.state.unread_count(checked.user())
        await checked.create_notification(title="through REST")

        def last() -> dict:
            return json.loads(out.getvalue().splitlines()[-1])

        await wait_for(lambda: last()["unread_count"] == unread + 1, what="the fallback's count")
        assert last() == {"unread_count": unread + 1, "stale": False}
        assert all(not json.loads(line)["stale"] for line in out.getvalue().splitlines()[1:])
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
