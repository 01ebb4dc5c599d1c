"""An attached dashboard's intents on their way to the agent: each handed over
once, in order, even when two hand-overs start together."""

from __future__ import annotations

import asyncio
from typing import Any

from tiri_tui.agent.attached_intents import AttachedIntents
from tiri_tui.agent.link import AgentLost
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import Submit
from tiri_tui.sync.outbox_sync import Intent


class SlowLink:
    """Answers each request after a turn of the loop; ``lost`` as a link's."""

    def __init__(self) -> None:
        self.lost = asyncio.Event()
        self.asked: list[tuple[str, dict[str, Any]]] = []

    async def request(self, op: str, **arguments: Any) -> dict[str, Any]:
        if self.lost.is_set():
            raise AgentLost("gone")
        self.asked.append((op, arguments))
        await asyncio.sleep(0.01)
        return {"changed": True, "intent": len(self.asked)}


def intents_on(link: SlowLink, tasks: set[asyncio.Task[Any]]) -> AttachedIntents:
    def spawn(work: Any, _name: str) -> None:
        task = asyncio.ensure_future(work)
        tasks.add(task)

    return AttachedIntents(lambda: link, spawn, None, lambda _effect: None)  # type: ignore[arg-type,return-value]


async def test_two_hand_overs_at_once_send_each_waiting_intent_once_in_order():
    link = SlowLink()
    tasks: set[asyncio.Task[Any]] = set()
    intents = intents_on(link, tasks)
    link.lost.set()  # the agent is away: the marks wait
    for nid in ("a", "b", "c"):
        effect = Submit(IntentAction.MARK_READ, nid)
        intents.submit(effect, 0.0, Intent(effect.action, nid))
    await asyncio.gather(*tasks)
    assert [h.effect.notification_id for h in intents.waiting] == ["a", "b", "c"]
    assert intents.pending_count == 3
    link.lost.clear()  # back: the re-attach and a quit both hand over
    await asyncio.gather(intents.hand_over(), intents.hand_over())
    assert [arguments["notification"] for _op, arguments in link.asked] == ["a", "b", "c"]
    assert not intents.waiting


async def test_a_waiting_intent_keeps_what_is_left_of_its_undo_window():
    link = SlowLink()
    tasks: set[asyncio.Task[Any]] = set()
    intents = intents_on(link, tasks)
    link.lost.set()
    effect = Submit(IntentAction.DELETE, "a")
    intents.submit(effect, 30.0, Intent(effect.action, "a"))
    await asyncio.gather(*tasks)
    link.lost.clear()
    await intents.hand_over()
    [(op, arguments)] = link.asked
    assert op == "delete" and 25.0 < arguments["hold"] <= 30.0
