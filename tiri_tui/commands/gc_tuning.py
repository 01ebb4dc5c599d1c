"""Garbage-collector settings for the dashboard process, set by the entry point.

A full (generation 2) collection walks every object: with the widget tree and
100,000 notifications that is a 60-80 ms stall, and the default thresholds
run one while the cache is being read, which lands on the first paint. So
the thresholds are raised before anything is loaded (loading 100,000 rows
then runs no full collection), and what exists once the first load is
painted is taken out of every later scan.
"""

from __future__ import annotations

import gc

#: The defaults (700, 10, 10) run full collections while a cache loads; with
#: 20,000 young objects each young collection frees so many of Textual's strips
#: at once that it stalls the loop 20-30 ms (2,000: under 10 ms, measured). A
#: full collection walks every drawn strip the list and Textual keep (75,000
#: objects after 20 s of a stream: an 80-100 ms stall); after 1,000 middle
#: ones, not 100, it comes every 20 million allocations instead of every two.
THRESHOLDS = (2_000, 10, 1_000)


def pause() -> None:
    """No collections while the program starts (the entry point calls this first)."""
    gc.disable()


def resume() -> None:
    """Collections as usual again: at once for a command, after its first
    frame for the dashboard (harmless when they never stopped)."""
    gc.enable()


def tune() -> None:
    """Collect young objects less often: call before the cache is read (again is harmless)."""
    gc.set_threshold(*THRESHOLDS)


def freeze_survivors() -> None:
    """Move everything alive now (after the first load) into the permanent generation.

    No collection first: with the rows just loaded it would be the very full
    walk this avoids, right after the first paint. The price is that cyclic
    garbage left over from start-up (a few hundred KB of parsed CSS and
    composed widgets' leftovers) is never freed.
    """
    gc.freeze()
