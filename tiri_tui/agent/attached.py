"""A dashboard attached to the profile's agent: the agent's list, mirrored.

The agent holds the session, the socket, the REST walks, the cache and the
outbox. An attached dashboard holds none of them: it keeps its own copy of
the sync core's state (:func:`tiri_tui.sync.core.apply`, the same pure core)
fed by what the agent tells it — its newest rows at attach, each change as it
happens, older rows as the person scrolls — and sends every mark and delete
to the agent, whose outbox carries it. The screen reads it as it reads a
standalone controller (:class:`~tiri_tui.sync.controller_api.Controller`).

Filters apply to the rows mirrored here, and older rows are paged through
the agent until the filtered list fills the screen. When the agent goes
away the dashboard looks for it again; if it does not come back, the owner
(the app) is told, with the intents not yet handed over, and runs standalone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from tiri_tui.agent.attached_intents import AttachedIntents
from tiri_tui.agent.finding import AgentFinder
from tiri_tui.agent.link import (
    AgentLink,
    AgentLost,
    AgentRefused,
)
from tiri_tui.agent.local_protocol import LineError
from tiri_tui.agent.mirroring import (
    SAID_AS_IT_IS,
    AgentHello,
    Figures,
    figures_of,
    next_url,
    older_page,
    oldest_id,
    told,
)
from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.background import Background
from tiri_tui.sync.controller_settings import ControllerSettings, Counters
from tiri_tui.sync.core_holder import CoreHolder
from tiri_tui.sync.events import ActionQueued, ControllerEvent
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import (
    Command,
    ConnectionChanged,
    CountTold,
    DeleteWanted,
    FetchOlder,
    MarkWanted,
    OlderFailed,
    OlderTaken,
    OlderWanted,
    PageOneAnswered,
    PagingTold,
    RowGoneTold,
    RowsWanted,
    Submit,
)
from tiri_tui.sync.outbox_sync import Intent
from tiri_tui.sync.rules import Filters
from tiri_tui.wire.models import format_timestamp

if TYPE_CHECKING:  # the account's requests load when first made, not at attach
    from tiri_tui.connection.account import Breakdown
    from tiri_tui.wire.account import Preferences

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Rows asked for at attach: a screen's worth, and more (200 rows are ~100 KB).
FIRST_ROWS = 200
#: Rows asked for at a re-attach at most (what was mirrored is checked against them).
REATTACH_ROWS = 10_000
#: An undo within this many seconds of its window's end is not promised as
#: taken back: the agent may have sent it by the time the undo reaches it.
UNDO_MARGIN = 1.0
#: How often the status line's figures (the agent's counters) are asked for.
FIGURES_INTERVAL = 5.0


class AttachedController(CoreHolder):
    """The agent's list, mirrored for one dashboard; intents go to the agent.

    ``on_abandoned`` is called once the agent has gone for good (the owner
    opens a standalone controller); ``outbox_path``: the profile's outbox,
    where the intents the agent never got go then, or when the dashboard
    quits while the agent is away."""

    def __init__(
        self,
        link: AgentLink,
        told: AgentHello,
        path: Path,
        server: str,
        settings: ControllerSettings,
        early: list[ControllerEvent] | None = None,
        outbox_path: Path | None = None,
        on_abandoned: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        super().__init__()
        self._link = link
        self._told: AgentHello | None = told
        self._path = path
        self._server = server
        self.on_abandoned = on_abandoned
        self._background = Background()
        self._loaded = asyncio.Event()
        #: The agent (as last attached) has shown its cache and loaded page 1.
        self._agent_loaded = asyncio.Event()
        self._stop = asyncio.Event()
        self._finder = AgentFinder(
            path,
            server,
            self._on_agent_event,
            self._on_agent_message,
            stop=self._stop,
            loaded=self._agent_loaded,
        )
        #: Agent events that came before the dashboard was ready for them.
        self._early: list[ControllerEvent] | None = early if early is not None else []
        self._intents = AttachedIntents(
            lambda: self._link,
            self._spawn,
            outbox_path,
            not_taken_back=self._not_taken_back,
        )
        self._older: asyncio.Task[None] | None = None
        self.counters = Counters()
        self.frames_dropped = 0
        link.rebind(self._on_agent_event, self._on_agent_message)

    # -- what the screen reads beyond the core's state ---------------------------------------
    @property
    def outbox(self) -> AttachedIntents:
        return self._intents

    @property
    def loaded(self) -> asyncio.Event:
        return self._loaded

    @property
    def cached(self) -> bool:
        return False  # the agent's rows are the server's, or as current as it can say

    # -- the work the core asks for --------------------------------------------------------------
    def _carry_out(self, effect: Command, hold: float) -> Intent | None:
        match effect:
            case Submit():
                return self._submit(effect, hold)
            case FetchOlder():
                self._older = self._spawn(self._fetch_older(effect.url, effect.chain), "older")
            case _:
                pass  # the socket, its gaps and the session are the agent's
        return None

    # -- lifecycle ---------------------------------------------------------------------------
    def prefetch_cache(self) -> None:
        """Nothing to read: the agent's rows came with the attach."""

    async def show_cached(self) -> None:
        """Show the agent's rows, then what it said since."""
        told, self._told = self._told, None
        if told is not None:
            self._take_hello(told)
        self._tell_early()
        self._spawn(self._keep_attached(), "attached")
        self._spawn(self._ask_figures(), "figures")

    def _tell_early(self) -> None:
        """Apply what the agent said while its snapshot was on its way."""
        early, self._early = self._early or [], None
        for event in early:
            self._on_agent_event(event)

    def go_live(self) -> None:
        """Nothing to start: the agent is live."""

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._background.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._intents.hand_over(), 3)
        await self._intents.keep_on_disk()
        await self._link.aclose()
        await self._background.cancel_all(5, 1.0)
        self._background.shutdown()

    def _spawn(self, work: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        return self._background.spawn(work, f"tiri-attached-{name}")

    # -- what the agent says -----------------------------------------------------------------
    def _take_hello(self, told: AgentHello) -> None:
        for event in told.events:
            self.dispatch(event)
        self._take_figures(told.figures)
        if told.loaded:
            self._loaded.set()

    def _take_figures(self, figures: Figures) -> None:
        self._intents.agent_pending = figures.pending
        self.frames_dropped, self.counters = figures.frames_dropped, figures.counters

    def _on_agent_message(self, message: dict[str, Any]) -> None:
        # Of the agent's own events, only `loaded` says where it stands (its
        # figures with it); the rest come through `_on_agent_event`.
        if message.get("event") == "loaded":
            self._take_figures(figures_of(message))
            self._loaded.set()
            self._agent_loaded.set()

    def _on_agent_event(self, event: ControllerEvent) -> None:
        if self._early is not None:
            self._early.append(event)
            return
        change = told(event)
        if change is not None:
            self.dispatch(change)
        elif isinstance(event, SAID_AS_IT_IS):
            self.emit(event)

    async def _ask_figures(self) -> None:
        while not self._closed:
            await asyncio.sleep(FIGURES_INTERVAL)
            with contextlib.suppress(AgentLost, AgentRefused):
                answer = await self._link.request("count")
                self._take_figures(figures_of(answer))
                # The agent's count, again: a change made here that it could
                # not honour (an undo too late) is not left on the badge.
                count = answer.get("unread_count")
                if isinstance(count, int) and not isinstance(count, bool):
                    self.dispatch(CountTold(count))

    # -- the agent going away ----------------------------------------------------------------
    async def _keep_attached(self) -> None:
        while not self._closed:
            await self._link.lost.wait()
            if self._closed or self._state.session_expired:
                return  # only a new login helps: the screen asks for it
            self.dispatch(
                ConnectionChanged(
                    ConnectionState.CONNECTING,
                    StateCode.CONNECTING,
                    "the agent went away: looking for it again",
                    None,
                )
            )
            found = await self._find_again()
            if found is None:
                self._early = None
                if not self._closed:
                    log.warning("the agent did not come back: the dashboard carries on alone")
                    # On disk first: the standalone controller that takes
                    # over sends them (and nothing is lost if the person
                    # quits before it has loaded).
                    await self._intents.keep_on_disk()
                    self.on_abandoned()
                return
            told, self._link = found
            self._take_hello(told)
            self._tell_early()
            await self._intents.hand_over()

    async def _find_again(self) -> tuple[AgentHello, AgentLink] | None:
        """The agent again, and what it holds (see :class:`AgentFinder`)."""

        def retrying() -> None:
            # What the agent says from here on waits for its snapshot: told
            # after it, it is applied after it (the snapshot is the older news).
            self._early = []

        rows = min(max(len(self._state.held), FIRST_ROWS), REATTACH_ROWS)
        return await self._finder.find_again(rows, retrying)

    # -- intents -----------------------------------------------------------------------------
    def _not_taken_back(self, intent: Submit) -> None:
        """An undo was promised, but the agent could not take the intent back
        (it had sent it, or was not there to ask): a mark is answered by the
        opposite one, as a standalone undo does once a mark has left; a delete
        is shown done again, and said."""
        nid = intent.notification_id
        if nid is None:
            return
        match intent.action:
            case IntentAction.MARK_READ | IntentAction.MARK_UNREAD:
                opposite = (
                    IntentAction.MARK_UNREAD
                    if intent.action is IntentAction.MARK_READ
                    else IntentAction.MARK_READ
                )
                self._submit(Submit(opposite, nid), 0.0)
            case IntentAction.DELETE:
                self.dispatch(RowGoneTold(nid))
                self.emit(
                    ActionQueued(intent.action, "not undone: the agent could not take it back")
                )
            case IntentAction.MARK_ALL_READ:
                pass  # undone by marking each row unread again, never taken back

    def _submit(self, effect: Submit, hold: float) -> Intent:
        intent = Intent(effect.action, effect.notification_id, effect.was_unread)
        intent.hold_until = time.monotonic() + hold
        self._intents.submit(effect, hold, intent)
        return intent

    def mark_read(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        if self._closed:
            return None
        return self.dispatch(MarkWanted(notification_id, True), hold=hold)

    def mark_unread(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        if self._closed:
            return None
        return self.dispatch(MarkWanted(notification_id, False), hold=hold)

    def delete(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        if self._closed:
            return None
        return self.dispatch(DeleteWanted(notification_id), hold=hold)

    def _take_back(self, intent: Intent) -> bool:
        # Within its window, with a margin for the way to the agent: restored
        # here at once, and taken back by the agent (or never handed over).
        return (
            time.monotonic() < intent.hold_until - UNDO_MARGIN
            and self._intents.take_back(intent) is not None
        )

    def reconnect(self) -> None:
        self._spawn(self._ask("reconnect"), "reconnect")

    def refresh(self) -> asyncio.Task[str | None]:
        async def refresh() -> str | None:
            try:
                failure = (await self._link.request("refresh", timeout=60)).get("failure")
            except (AgentLost, AgentRefused) as exc:
                return str(exc)
            return None if failure is None else str(failure)

        return self._spawn(refresh(), "refresh")

    async def _ask(self, op: str) -> None:
        with contextlib.suppress(AgentLost, AgentRefused):
            await self._link.request(op)

    def load_more(self) -> asyncio.Task[None] | None:
        self.dispatch(OlderWanted())
        return self._older if self._state.paging.in_flight else None

    def want_rows(self, count: int) -> None:
        self.dispatch(RowsWanted(count))

    async def count_unread(self, filters: Filters) -> int:
        answer = await self._link.request(
            "count_unread", timeout=60, filters=msgspec.to_builtins(filters)
        )
        count = answer.get("count")
        if not isinstance(count, int):
            raise AgentRefused("the agent's count is not a number")
        return count

    async def unread_breakdown(self) -> Breakdown:
        from tiri_tui.agent import attached_account

        return await attached_account.breakdown(self._link)

    async def count_read(self) -> int:
        from tiri_tui.agent import attached_account

        return await attached_account.count_read(self._link)

    async def clear_read(self) -> int | None:
        # The agent's rows go, and it tells every face (this one too) which.
        from tiri_tui.agent import attached_account

        return await attached_account.clear_read(self._link)

    async def preferences(self) -> Preferences:
        from tiri_tui.agent import attached_account

        return await attached_account.preferences(self._link)

    async def _filtered(self) -> None:
        # What is mirrored is filtered: the answer is as complete as it gets,
        # and paging goes on below the oldest row held (the agent's list does
        # not depend on the filters) as the list asks for rows.
        self.dispatch(PageOneAnswered())
        held = self._state.held
        self.dispatch(PagingTold(next_url([held[len(held) - 1]]) if len(held) else None))

    async def _fetch_older(self, url: str, chain: int) -> None:
        oldest = self._state.held.get(oldest_id(url))
        if oldest is None and len(self._state.held):
            oldest = self._state.held[len(self._state.held) - 1]
        if oldest is None:
            self.dispatch(OlderFailed(chain, None, final=True))
            return

        def take(answer: dict[str, Any]) -> None:
            # As soon as it is read: a change the agent told after it (the
            # row deleted, marked) is applied after the page, not lost before it.
            page, rows = older_page(answer)
            if not rows and answer.get("failure"):
                self.dispatch(OlderFailed(chain, str(answer["failure"]), final=False))
            else:
                self.dispatch(OlderTaken(page, rows, chain, lambda _nid: False))

        try:
            await self._link.request(
                "older",
                timeout=60,
                then=take,
                notification=oldest.id,
                before=format_timestamp(oldest.created_at),
                limit=self.settings.page_size,
            )
        except (AgentLost, AgentRefused, LineError) as exc:
            self.dispatch(OlderFailed(chain, str(exc), final=False))
