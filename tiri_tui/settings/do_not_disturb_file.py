"""Do not disturb, kept in one file every face on the machine watches: a
dashboard's key, `tiri-tui dnd on` from a script or a status bar, and the
agent all write and read the same state, and each running face sees a change
within half a second.

The file is replaced whole (a reader never sees half of it) and removed when
it is turned off. Watching is a ``stat`` on a thread twice a second, and a
read only when the file changed: nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path

from tiri_tui.attention.attention import Attention
from tiri_tui.attention.do_not_disturb import DoNotDisturb
from tiri_tui.settings.private_file import write_private

FILE_NAME = "do-not-disturb.json"
#: How often a running face looks for a change (a change shows within this).
POLL = 0.5

Stamp = tuple[int, int, int] | None


def state_path(data_dir: Path) -> Path:
    """The one file for every profile of this user on this machine."""
    return data_dir / FILE_NAME


def read_state(path: Path) -> DoNotDisturb | None:
    """The state written last (None: off, or a file that cannot be read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    since, until = data.get("since"), data.get("until")
    if not isinstance(since, int | float) or isinstance(since, bool):
        return None
    if until is not None and (not isinstance(until, int | float) or isinstance(until, bool)):
        return None
    return DoNotDisturb(float(since), None if until is None else float(until))


def write_state(path: Path, state: DoNotDisturb | None) -> None:
    """Turn it on (replacing the file whole), or off (None: removing it)."""
    if state is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    write_private(path, json.dumps({"since": state.since, "until": state.until}))


def _stamp(path: Path) -> Stamp:
    try:
        status = path.stat()
    except OSError:
        return None
    # A new file each write (os.replace): its inode tells two writes apart
    # even within one tick of a coarse clock.
    return status.st_ino, status.st_mtime_ns, status.st_size


def _look(path: Path, last: Stamp | bool) -> tuple[Stamp, DoNotDisturb | None, bool]:
    """(the stamp now, the state, whether it changed since ``last``)."""
    stamp = _stamp(path)
    if stamp == last:
        return stamp, None, False
    return stamp, (None if stamp is None else read_state(path)), True


async def watch_state(
    path: Path,
    on_change: Callable[[DoNotDisturb | None], None],
    *,
    on_look: Callable[[], None] = lambda: None,
    every: float = POLL,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Call ``on_change`` with the state at once, then at every change, and
    ``on_look`` after every look, while ``alive()``."""
    last: Stamp | bool = False  # no stamp is False: the first look always tells
    while alive():
        stamp, state, changed = await asyncio.to_thread(_look, path, last)
        if changed:
            last = stamp
            on_change(state)
        on_look()
        await asyncio.sleep(every)


async def follow_state(
    path: Path,
    attention: Attention,
    *,
    changed: Callable[[DoNotDisturb | None], None],
    over: Callable[[DoNotDisturb], None],
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Keep ``attention`` in the shared state while ``alive()``: ``changed`` at
    each change, ``over`` with the span when it ends — turned off
    anywhere, or its time run out. The end is judged on the wall clock at
    every look (a timer would run on the monotonic clock, which stands still
    while a laptop sleeps)."""

    def check() -> None:
        ended = attention.check_do_not_disturb()
        if ended is not None:
            over(ended)

    def on_change(state: DoNotDisturb | None) -> None:
        ended = attention.use_do_not_disturb(state)
        changed(state)
        if ended is not None:
            over(ended)

    await watch_state(path, on_change, on_look=check, alive=alive)
