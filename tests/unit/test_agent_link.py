"""A face's link to the agent: an answer's ``then`` runs before any event read
after it, so what the answer shows is applied before what changed since."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tiri_tui.agent.link import AgentLink
from tiri_tui.sync.events import ControllerEvent, NotificationRemoved


class Written:
    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.lines.append(data)

    def close(self) -> None:
        pass


async def test_an_answers_then_runs_before_the_events_read_after_it():
    reader = asyncio.StreamReader()
    order: list[str] = []

    def on_event(event: ControllerEvent) -> None:
        assert isinstance(event, NotificationRemoved)
        order.append(f"event {event.notification_id}")

    def then(result: dict[str, Any]) -> None:
        order.append(f"then {result['rows']}")

    link = AgentLink(reader, Written(), on_event)  # type: ignore[arg-type]
    asking = asyncio.create_task(link.request("older", then=then, limit=1))
    await asyncio.sleep(0)
    # The answer and an event in one read, as a busy agent sends them.
    reader.feed_data(
        json.dumps({"id": 1, "ok": True, "result": {"rows": ["r"]}}).encode()
        + b"\n"
        + json.dumps({"event": "deleted", "id": "r"}).encode()
        + b"\n"
    )
    assert (await asking)["rows"] == ["r"]
    await asyncio.sleep(0)
    assert order == ["then ['r']", "event r"]
    await link.aclose()
