"""No garbage collection inside a frame: collections wait until it is drawn.

Every frame of a stream redraws the whole list (each arrival moves every row),
and Textual leaves each redrawn line in a reference cycle (a strip caches
itself), so a young collection freeing them is due every few frames. Run
inside a frame it made the frame outlast its 1/60 s slot, and Textual's
screen timer, skipping the missed tick, then waits two slots for the next
frame: an arrival painted 30-50 ms late instead of 10-20 (one in fifty
during a stream). Run between frames, the same collection only delays the
next event by its own few milliseconds.
"""

from __future__ import annotations

import asyncio
import gc

_held = False


def hold_collections_until_drawn() -> None:
    """Called while a frame is being drawn: no collection until it is done
    (the loop's next turn). Leaves alone a collector someone else paused:
    the start-up pause, or Textual's during a scroll animation."""
    global _held
    if _held or not gc.isenabled():
        return
    gc.disable()
    _held = True
    asyncio.get_running_loop().call_soon(_release)


def _release() -> None:
    global _held
    _held = False
    # Should Textual pause the collector for a scroll animation within this
    # very turn, this ends its pause early: a collection during the animation
    # costs smoothness, nothing else, and a turn is a few milliseconds.
    # Anything allocated from here on runs the collections that came due.
    gc.enable()
