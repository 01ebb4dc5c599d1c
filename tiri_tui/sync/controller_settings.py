"""What the controller is tuned with, and what it counts for the metrics line."""

from __future__ import annotations

from msgspec import Struct


class Counters(Struct):
    """Connection metrics for the status line."""

    reconnects: int = 0
    fallback_refreshes: int = 0
    items_rejected: int = 0
    last_delivery_latency: float | None = None
    connects: int = 0
    gap_fills: int = 0
    #: REST walks (fills, refreshes, reconciliations) that failed part way.
    walks_failed: int = 0
    #: Why the last of them failed, in words.
    last_walk_failure: str = ""


#: How long a mark or a delete made in the dashboard can be undone before it is sent.
UNDO_SECONDS = 5.0


class ControllerSettings(Struct, frozen=True):
    """Timings of the controller (seconds)."""

    fallback_interval: float = 30.0
    #: Pages a gap fill walks at once; a larger gap is walked to its end all
    #: the same, ``reconcile_page_delay`` apart.
    gap_fill_max_pages: int = 10
    page_size: int = 20
    cache_save_interval: float = 2.0
    #: Seconds between background walks of the whole held span that remove
    #: what was deleted elsewhere (None: only when asked), and between their pages.
    reconcile_interval: float | None = 300.0
    reconcile_page_delay: float = 1.0
    #: A server may subscribe a socket to its broadcasts only after accepting
    #: it (Channels' ``group_add`` after ``accept``). Until a broadcast frame
    #: proves the subscription, a fill closes the gap only if it began this
    #: long after the connect.
    subscribe_grace: float = 2.0
    #: A person's mark or delete waits this long (on disk) before it is sent:
    #: an undo meanwhile takes it back and the server never hears of it.
    undo_window: float = UNDO_SECONDS
