"""Mark all read with 100,000 held: how soon the badge shows 0 on screen, and
how long the loop stalls while every row turns read.

Run as a child process (the suite does): python -m benchmarks.mark_all 100000
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from benchmarks.common import dashboard_app, summary_ms
from benchmarks.stall import StallProbe
from tests.support.serving import set_unread, take_rows

SIZE = (120, 40)


async def mark_all_read(count: int) -> dict[str, object]:
    """Press ``M`` on a dashboard holding ``count`` (two thirds unread)."""
    from textual import events

    from tests.support.fakes import notifications, offline_controller
    from tiri_tui.commands import gc_tuning
    from tiri_tui.ui.top_bar import TopBar

    gc_tuning.tune()  # before anything is loaded, as the entry point does
    controller = offline_controller()
    take_rows(controller, notifications(count))
    set_unread(controller, controller.inbox.unread())
    shown_zero = asyncio.Event()
    stamp = {"t": 0.0}
    original = TopBar.render

    def render(self):  # type: ignore[no-untyped-def]
        visual = original(self)
        if " 0 unread" in str(visual) and not shown_zero.is_set():
            stamp["t"] = time.perf_counter()
            shown_zero.set()
        return visual

    TopBar.render = render  # type: ignore[method-assign]
    app = dashboard_app(controller=controller, bell=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            async with StallProbe() as probe:
                pressed = time.perf_counter()
                app.post_message(events.Key("M", "M"))
                await asyncio.wait_for(shown_zero.wait(), 30)
                badge_s = stamp["t"] - pressed
                while controller.inbox.unread():
                    await asyncio.sleep(0.01)
                all_rows_s = time.perf_counter() - pressed
                # What keeping an intent on disk costs: each mark's write, off the loop.
                for n in [controller.inbox[i] for i in range(200)]:
                    controller.mark_unread(n.id)
                    await asyncio.sleep(0.005)
                await controller.outbox.written()
            writes = summary_ms(list(controller.outbox.write_times))
            await controller.aclose()
    finally:
        TopBar.render = original  # type: ignore[method-assign]
    return {
        "badge_s": badge_s,
        "all_rows_s": all_rows_s,
        "outbox_write": writes,
        "stall": probe.summary(),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(mark_all_read(int(sys.argv[1])))))
