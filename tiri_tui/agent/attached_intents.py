"""The marks and deletes of an attached dashboard, on their way to the agent.

Each intent the mirrored core decides (a ``Submit``) is handed to the agent,
whose outbox carries it to the server. While the agent is away they wait
here, in order, and are handed over when it is back, with what is left of
their undo window; if it does not come back, or the dashboard quits first,
they are written to the profile's outbox on disk, which the standalone
controller that takes over (or the agent, when it starts) sends. An intent
made with an undo window keeps the agent's key for it, so an undo takes back
exactly that one — or, when that cannot be done, the dashboard says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
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
    """One intent made here: what it was, until when it may be taken back,
    and the agent's key for its undo (None: none to ask for)."""

    def __init__(self, effect: Submit, hold_until: float) -> None:
        self.effect = effect
        self.hold_until = hold_until
        self.key: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        #: The link the key came over: another agent's keys name other intents.
        self.keyed_by: object = None

    def hold(self) -> float:
        """What is left of its undo window."""
        return max(0.0, self.hold_until - time.monotonic())

    def keyed(self, key: object, link: object = None) -> None:
        if not self.key.done():
            self.keyed_by = link
            self.key.set_result(key if isinstance(key, int) else None)


class AttachedIntents:
    """Hands intents to the agent (``link()``: the link in use) and keeps them,
    in order, while it is away.

    ``not_taken_back`` hears of an intent an undo was promised for that went
    to the server all the same (the agent had sent it, or could not be asked):
    the dashboard shows it done again, and says so.
    """

    def __init__(
        self,
        link: Callable[[], AgentLink],
        spawn: Callable[[Coroutine[Any, Any, None], str], object],
        outbox_path: Path | None,
        not_taken_back: Callable[[Submit], None],
    ) -> None:
        self._link = link
        self._spawn = spawn
        self._outbox_path = outbox_path
        self._not_taken_back = not_taken_back
        #: The agent's outbox, as it last said.
        self.agent_pending = 0
        #: Not handed over yet (the agent is away), oldest first.
        self.waiting: list[Handed] = []
        self._handed: OrderedDict[int, Handed] = OrderedDict()
        self._handing_over = asyncio.Lock()

    @property
    def pending_count(self) -> int:
        """Intents on their way: in the agent's outbox, and waiting here."""
        return self.agent_pending + len(self.waiting)

    def submit(self, effect: Submit, hold: float, intent: Intent) -> None:
        """Hand ``effect`` (``intent`` here) to the agent, or keep it until it is back."""
        handed = Handed(effect, time.monotonic() + hold)
        self._handed[id(intent)] = handed
        while len(self._handed) > UNDO_MEMORY:
            self._handed.popitem(last=False)
        self._spawn(self._send(handed), "intent")

    async def _send(self, handed: Handed) -> None:
        if self.waiting or self._link().lost.is_set():
            self.waiting.append(handed)  # in order, behind those waiting
        elif not await self._hand(handed):
            self.waiting.append(handed)
            if not self._link().lost.is_set():  # a new link came meanwhile
                self._spawn(self.hand_over(), "hand-over")

    async def _hand(self, handed: Handed) -> bool:
        """Hand one intent to the agent, with what is left of its window;
        False when the agent went away first (whether it got it cannot be
        known: sent again, a mark changes nothing and a delete finds the row gone)."""
        op, arguments = request_of(handed.effect, handed.hold())
        link = self._link()
        try:
            answer = await link.request(op, **arguments)
        except AgentRefused as exc:
            log.warning("the agent refused a %s: %s", op, exc)
            answer = {}
        except AgentLost:
            return False
        handed.keyed(answer.get("intent"), link)
        return True

    def take_back(self, intent: Intent) -> bool | None:
        """Take an intent back before it leaves: True when it never left here,
        False when the agent is asked to, None when it is not known here."""
        handed = self._handed.pop(id(intent), None)
        if handed is None:
            return None
        if handed in self.waiting:
            self.waiting.remove(handed)
            handed.keyed(None)
            return True
        self._spawn(self._undo_at_agent(handed), "undo")
        return False

    async def _undo_at_agent(self, handed: Handed) -> None:
        key = await handed.key  # known once it is handed over
        undone = False
        if key is not None and handed.keyed_by is self._link():
            with contextlib.suppress(AgentLost, AgentRefused):
                answer = await self._link().request("undo", intents=[key])
                undone = bool(answer.get("taken_back") or answer.get("sent_back"))
        if not undone:
            self._not_taken_back(handed.effect)

    async def hand_over(self) -> None:
        """Hand the waiting intents to the agent, oldest first (it is back)."""
        async with self._handing_over:  # one at a time: each is sent once
            while self.waiting and not self._link().lost.is_set():
                # Out of the waiting list while it is on its way: an undo
                # meanwhile asks the agent, which has it (or will have).
                handed = self.waiting.pop(0)
                if not await self._hand(handed):
                    self.waiting.insert(0, handed)
                    return

    async def keep_on_disk(self) -> None:
        """The agent is gone for good, or the dashboard quits while it is away:
        the waiting intents go into the profile's outbox, which the agent (or
        the standalone controller that takes over) sends from when it starts."""
        handed, self.waiting = self.waiting, []
        for one in handed:
            one.keyed(None)  # an undo asked of these now says it could not be done
        waiting = [one.effect for one in handed]
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
        log.warning("%d intents the agent never got are queued on disk", len(waiting))
