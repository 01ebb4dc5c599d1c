"""The marks and deletes of an attached dashboard, on their way to the agent.

Each intent the mirrored core decides (a ``Submit``) is handed to the agent,
whose outbox carries it to the server. While the agent is away they wait
here, in order, and are handed over when it is back; if it does not come
back they go to the standalone controller that takes over; if the dashboard
quits first they are written to the profile's outbox on disk, which the
agent sends from when it starts. An intent made with an undo window keeps
the agent's key for it, so an undo takes back exactly that one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from tiri_tui.agent.link import AgentLink, AgentLost, AgentRefused
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import Submit
from tiri_tui.sync.outbox_sync import Intent
from tiri_tui.sync.store import Outbox

log = logging.getLogger(__name__)

#: Intents remembered for an undo (one is offered for seconds: far fewer are asked).
UNDO_MEMORY = 1_000


def request_of(effect: Submit, hold: float) -> tuple[str, dict[str, Any]]:
    """The agent's op for an intent, and its arguments."""
    match effect.action:
        case IntentAction.MARK_READ | IntentAction.MARK_UNREAD:
            read = effect.action is IntentAction.MARK_READ
            return "mark", {"notification": effect.notification_id, "read": read, "hold": hold}
        case IntentAction.DELETE:
            return "delete", {"notification": effect.notification_id, "hold": hold}
        case IntentAction.MARK_ALL_READ:
            return "mark_all_read", {}


class Handed:
    """One intent made here: what it was, and the agent's key for its undo."""

    def __init__(self, effect: Submit) -> None:
        self.effect = effect
        self.key: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()


class AttachedIntents:
    """Hands intents to the agent (``link()``: the link in use), keeps them while
    it is away; ``pending_count`` is the agent's outbox, for the status line;
    ``on_too_late``: a delete the agent had sent after all when its undo came."""

    def __init__(
        self,
        link: Callable[[], AgentLink],
        spawn: Callable[[Coroutine[Any, Any, None], str], object],
        outbox_path: Path | None,
        on_too_late: Callable[[str], None],
    ) -> None:
        self._link = link
        self._on_too_late = on_too_late
        self._spawn = spawn
        self._outbox_path = outbox_path
        self.pending_count = 0
        #: Not handed over yet (the agent is away), oldest first.
        self.waiting: list[Submit] = []
        self._handed: OrderedDict[int, Handed] = OrderedDict()

    def submit(self, effect: Submit, hold: float, intent: Intent) -> None:
        """Hand ``effect`` (``intent`` here) to the agent, or keep it until it is back."""
        handed = Handed(effect)
        self._handed[id(intent)] = handed
        while len(self._handed) > UNDO_MEMORY:
            self._handed.popitem(last=False)
        self._spawn(self._send(handed, hold), "intent")

    async def _send(self, handed: Handed, hold: float) -> None:
        if self.waiting or self._link().lost.is_set():
            self.waiting.append(handed.effect)  # in order, behind those waiting
            handed.key.set_result(None)
            return
        op, arguments = request_of(handed.effect, hold)
        answer: dict[str, Any] = {}
        try:
            answer = await self._link().request(op, **arguments)
        except AgentRefused as exc:
            log.warning("the agent refused a %s: %s", op, exc)
        except AgentLost:
            # Whether it got there cannot be known: sent again, a mark changes
            # nothing and a delete finds the row gone.
            self.waiting.append(handed.effect)
        key = answer.get("intent")
        handed.key.set_result(key if isinstance(key, int) else None)

    def take_back(self, intent: Intent) -> bool | None:
        """Take an intent back before it leaves: True when it never left here,
        False when the agent is asked to, None when it is not known here."""
        handed = self._handed.pop(id(intent), None)
        if handed is None:
            return None
        for index, waiting in enumerate(self.waiting):
            if waiting is handed.effect:
                del self.waiting[index]
                return True
        self._spawn(self._undo_at_agent(handed), "undo")
        return False

    async def _undo_at_agent(self, handed: Handed) -> None:
        key = await handed.key
        if key is None:
            return
        with contextlib.suppress(AgentLost, AgentRefused):
            answer = await self._link().request("undo", intents=[key])
            for nid in answer.get("too_late", []):
                self._on_too_late(str(nid))

    async def hand_over(self) -> None:
        """Hand the waiting intents to the agent, oldest first (it is back)."""
        while self.waiting and not self._link().lost.is_set():
            op, arguments = request_of(self.waiting[0], 0.0)
            try:
                await self._link().request(op, **arguments)
            except AgentRefused as exc:
                log.warning("the agent refused a %s: %s", op, exc)
            except AgentLost:
                return
            self.waiting.pop(0)

    def abandon(self) -> list[Submit]:
        """The waiting intents, for a standalone controller to make again."""
        waiting, self.waiting = self.waiting, []
        return waiting

    async def keep_on_disk(self) -> None:
        """The dashboard quits with intents the agent never got: into the
        profile's outbox, which the agent sends from when it starts."""
        waiting = self.abandon()
        if not waiting or self._outbox_path is None:
            return
        path = self._outbox_path

        def queue() -> None:
            outbox = Outbox(path)
            try:
                for effect in waiting:
                    outbox.add(effect.action, effect.notification_id, was_unread=effect.was_unread)
            finally:
                outbox.close()

        await asyncio.to_thread(queue)
        log.warning("%d intents the agent never got are queued for it on disk", len(waiting))
