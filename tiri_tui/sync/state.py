"""The sync core's state: what is shown, and what the core knows of the server.

One object holds it (the controller); :func:`tiri_tui.sync.core.apply` alone
changes it; everyone else reads it through :class:`SyncView`.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime
from typing import Protocol

from msgspec import Struct, field

from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.inbox import Inbox
from tiri_tui.sync.rules import Coverage, Filters


class Connection(Struct):
    """The connection as the faces see it (the worker's policy decides it)."""

    state: ConnectionState = ConnectionState.DISCONNECTED
    code: StateCode = StateCode.DISCONNECTED
    reason: str = ""
    retry_in: float | None = None


class Paging(Struct):
    """The chain of older pages of the list shown: page 1, then each ``next``."""

    #: Which chain this is: a page of an older chain continues nothing here.
    chain: int = 0
    next_url: str | None = None
    #: Pages in the chain (0: none yet). A page 1 read again (a gap fill, R)
    #: starts no new chain once paging went further: the older pages reached
    #: stay reached, and the next link stays the one below them.
    depth: int = 0
    #: Links followed since page 1: a ``next`` leading back loops.
    followed: set[str] = field(default_factory=set)
    coverage: Coverage = field(default_factory=lambda: Coverage(grows_only_at_top=True))
    in_flight: bool = False
    #: Why the last attempt to load older rows failed (None: it did not).
    failure: str | None = None

    @property
    def has_more(self) -> bool:
        return bool(self.next_url)


class SyncView(Protocol):
    """What everyone but :func:`apply` reads of the state (never writes)."""

    @property
    def shown(self) -> Inbox: ...
    @property
    def held(self) -> Inbox: ...
    @property
    def filters(self) -> Filters: ...
    @property
    def unread(self) -> int | None: ...
    @property
    def connection(self) -> Connection: ...
    @property
    def session_expired(self) -> bool: ...
    @property
    def synced_until(self) -> datetime | None: ...
    @property
    def sync_changed(self) -> bool: ...
    @property
    def gap_open(self) -> bool: ...
    @property
    def confirmed(self) -> bool: ...
    @property
    def filters_answered(self) -> bool: ...
    @property
    def answered_since_down(self) -> bool: ...
    @property
    def paging(self) -> Paging: ...
    @property
    def rows_wanted(self) -> int: ...
    @property
    def last_all_read(self) -> list[str] | None: ...
    @property
    def dirty(self) -> bool: ...
    @property
    def forgotten(self) -> set[str]: ...


class SyncState:
    """Everything :func:`apply` decides on; read through :class:`SyncView`."""

    def __init__(self) -> None:
        #: The rows shown: every row held, or those the filters let through.
        self.shown = Inbox()
        #: Every row held, while a filter is on (None: ``shown`` is all of them).
        #: Filtering works on what is held at once, offline too, and clearing
        #: the filters shows it all again without waiting for the server.
        self.everything: Inbox | None = None
        self.filters = Filters()
        self.unread: int | None = None
        #: When the count shown was asked for or came (see CountArrived).
        self.count_at = -math.inf
        self.connection = Connection()
        self.session_expired = False
        #: Fetched rows newer than this are news (see :func:`_news_since`).
        self.news_watermark: datetime | None = None
        #: Server time up to which nothing is missing (None: nothing synced yet).
        self.synced_until: datetime | None = None
        #: The watermark moved since the cache last saved it.
        self.sync_changed = False
        #: A disconnect opened a gap that no completed fill has closed yet.
        self.gap_open = True
        #: The server has answered at least once (what is shown is not only cached).
        self.confirmed = False
        #: The server has answered for the current filters.
        self.filters_answered = True
        #: A page came since the socket last went down (or ever, before it
        #: first came up): without the socket, what is shown is still the
        #: server's — e.g. while only the socket's Origin is refused.
        self.answered_since_down = False
        self.paging = Paging()
        #: Rows a face can show at once: older pages are fetched until the
        #: list shown has them (see :class:`~tiri_tui.sync.messages.RowsWanted`).
        self.rows_wanted = 0
        #: The ids the last "mark all read" turned read (for its undo).
        self.last_all_read: list[str] | None = None
        #: A "clear read" is on its way: the rows turned read meanwhile (here,
        #: or pushed) stay when the read ones go, for the server kept them.
        self.clearing = False
        self.kept_from_clear: set[str] = set()
        #: When each row last came live (the walker's clock), oldest first: a
        #: page asked for before then carries an older copy (see LIVE_MEMORY).
        self.live_copies: OrderedDict[str, float] = OrderedDict()
        #: Rows changed since the cache's last save, and the ids it must remove.
        self.dirty = False
        self.forgotten: set[str] = set()

    @property
    def held(self) -> Inbox:
        """Every row held, whatever the filters show."""
        return self.everything if self.everything is not None else self.shown
