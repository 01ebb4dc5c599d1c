"""Fuzzing with hypothesis: hostile frames into the live worker, hostile pages into the controller."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.clients import FAST_CONTROLLER, FAST_REALTIME
from tests.support.payloads import VALID, json_values
from tests.support.waiting import wait_for
from tiri_tui.client import TiriClient
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer
from tiri_tui.settings.config import Settings
from tiri_tui.sync.events import NotificationAdded
from tiri_tui.wire.models import WireError
from tiri_tui.wire.protocol import NotificationFrame, parse_server_frame

FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutate(base: dict, key: str, how: str, value: object) -> dict:
    data = copy.deepcopy(base)
    if how == "delete":
        data.pop(key, None)
    elif how == "replace":
        data[key] = value
    else:
        data[f"new_{key}"] = value
    return data


notification_dicts = st.builds(
    mutate,
    st.just(VALID),
    st.sampled_from(sorted(VALID)),
    st.sampled_from(["delete", "replace", "add"]),
    json_values,
)
frame_texts = st.one_of(
    st.text(max_size=200),
    json_values.map(json.dumps),
    notification_dicts.map(lambda d: json.dumps({"type": "notification", "data": d})),
    json_values.map(lambda v: json.dumps({"type": "unread_count", "data": {"unread_count": v}})),
    json_values.map(lambda v: json.dumps({"type": "error", "error": v})),
    st.sampled_from(["connection_ack", "pong", "ping", "??"]).map(
        lambda t: json.dumps({"type": t})
    ),
)


@contextlib.asynccontextmanager
async def started_controller(seed_count: int):  # type: ignore[no-untyped-def]
    """A demo server and a logged-in, started controller against it; all closed after."""
    async with DemoServer(seed_count=seed_count) as server:
        with tempfile.TemporaryDirectory() as home:
            client = TiriClient(
                Settings(server=server.url, home=Path(home)),
                realtime=FAST_REALTIME,
                controller=FAST_CONTROLLER,
                http_timeout=2.0,
            )
            await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
            controller = client.open_controller()
            try:
                await controller.start()
                await wait_for(
                    lambda: controller.loaded.is_set() and controller.counters.gap_fills >= 1,
                    timeout=15,
                )
                yield server, controller
            finally:
                await client.aclose()


@FUZZ
@given(st.lists(frame_texts, min_size=1, max_size=12))
def test_random_and_mutated_frames_never_break_the_live_connection(frames):
    async def scenario() -> None:
        async with started_controller(seed_count=5) as (server, controller):
            await wait_for(lambda: controller.state is ConnectionState.CONNECTED, timeout=15)
            added: set[str] = set()
            controller.subscribe(
                lambda e: added.add(e.notification.id) if isinstance(e, NotificationAdded) else None
            )
            valid_ids, invalid = [], 0
            for text in frames:
                try:
                    frame = parse_server_frame(text)
                except WireError:
                    invalid += 1
                else:
                    if isinstance(frame, NotificationFrame):
                        valid_ids.append(frame.notification.id)
                await server.send_raw(DEMO_EMAIL, text)
            marker = await server.create_notification(title="after the fuzz")
            await wait_for(lambda: marker["id"] in controller.inbox, timeout=15)
            assert controller.frames_dropped == invalid
            # Each valid one was taken (a later walk may remove it again: the
            # server's list does not have it, and REST says what exists).
            assert all(i in added for i in valid_ids)
            assert controller.state is ConnectionState.CONNECTED
            assert controller.counters.connects == 1

    asyncio.run(scenario())


page_mutations = st.fixed_dictionaries(
    {
        "broken_items": st.lists(st.tuples(st.integers(0, 19), notification_dicts), max_size=5),
        "count": st.one_of(st.none(), st.just(10**18), json_values),
        "next": st.sampled_from(["keep", "self", "other-host", "garbage", "none", "loop"]),
        "results": st.sampled_from(["keep", "keep", "not-a-list", "missing"]),
        "whole": st.sampled_from(["keep"] * 6 + ["list", "string"]),
    }
)


def page_mutator(plan: dict, url_of: dict):
    def apply(body: dict) -> object:
        if plan["whole"] == "list":
            return [body]
        if plan["whole"] == "string":
            return "<html>oops</html>"
        body = dict(body)
        results = list(body["results"])
        for index, broken in plan["broken_items"]:
            if index < len(results):
                results[index] = broken
        body["results"] = results
        if plan["count"] is not None:
            body["count"] = plan["count"]
        first = url_of.setdefault("first", body["next"])
        body["next"] = {
            "keep": body["next"],
            "self": first,
            "other-host": "http://evil.example/api/notifications/notifications/?page=2",
            "garbage": 42,
            "none": None,
            "loop": first,
        }[plan["next"]]
        if plan["results"] == "not-a-list":
            body["results"] = {"oops": True}
        elif plan["results"] == "missing":
            del body["results"]
        return body

    return apply


@FUZZ
@given(page_mutations)
def test_hostile_pages_never_crash_the_controller_and_loops_stop(plan):
    async def scenario() -> None:
        async with started_controller(seed_count=60) as (server, controller):
            server.faults.page_mutator = page_mutator(plan, {})
            await controller.refresh()
            for _ in range(10):  # a user holding End: must come to an end
                task = controller.load_more()
                if task is None:
                    break
                await task
            else:
                raise AssertionError("load_more never stopped")
            assert len({n.id for n in controller.inbox}) == len(controller.inbox)
            assert all(isinstance(n.title, str) for n in controller.inbox)
            assert controller.task_failures == []  # no background task crashed

    asyncio.run(scenario())
