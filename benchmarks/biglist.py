"""Big list: first paint, PageDown, a new row at the top, RSS — ours and the floor.

Run as a child process (one per variant and size) so RSS is its own:
    python -m benchmarks.biglist ours 100000 --pages 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec

from benchmarks.common import PaintWatch, rss_mb, summary_ms
from benchmarks.stall import StallProbe
from tests.support.fakes import notifications
from tests.support.serving import take_rows

SIZE = (120, 40)
NEW_ROWS = 20
#: A row every quarter hour: 100,000 rows span 1,042 days, so the list draws
#: (and indexes) a thousand day headers, not two.
SPACING = timedelta(minutes=15)
#: Textual paints on a 60 fps grid: a press is painted at the next tick after
#: it is handled, so a fixed pause between presses measures where the grid
#: happens to fall (5 ms or 15 ms, all or nothing). Each press waits a further
#: random part of a frame, the same sequence for ours and the floor.
FRAME = 1 / 60


def hook_first_paint(widget_class: type) -> tuple[asyncio.Event, dict, Callable[[], None]]:
    """Stamp the moment a widget of this class first draws its last visible row."""
    painted = asyncio.Event()
    stamp: dict[str, float] = {}
    original = widget_class.render_line

    def render_line(self, y):  # type: ignore[no-untyped-def]
        strip = original(self, y)
        if not painted.is_set() and y == self.scrollable_content_region.height - 1:
            stamp["t"] = time.perf_counter()
            painted.set()
        return strip

    widget_class.render_line = render_line

    def restore() -> None:
        widget_class.render_line = original

    return painted, stamp, restore


async def page_downs(
    view, watch: PaintWatch, pages: int, count: int, press: Callable[[], None]
) -> list[float]:
    """Time PageDowns started from ``pages`` places spread over the whole list."""
    height = view.scrollable_content_region.height
    times = []
    phase = random.Random(2026)
    for k in range(pages):
        start = int(k * (count - 3 * height) / max(1, pages))
        view.scroll_to(y=start, animate=False, immediate=True)
        if hasattr(view, "days"):  # ours: the row on that line (day headers take lines)
            view.cursor = view.days.at_line(start)[0]
        elif hasattr(view, "cursor"):
            view.cursor = start
        view.refresh()
        await asyncio.sleep(0.01 + phase.uniform(0, FRAME))
        t = time.perf_counter()
        press()
        # The last line of the page it scrolled to (read at once: the scroll is
        # immediate, the paint comes later; with day headers it may stop a line
        # short, to show the header of the day the cursor lands on).
        bottom = int(view.scroll_offset.y) + height - 1
        watch.expect(lambda i, _, want=bottom: i == want)
        times.append(await watch.wait() - t)
    return times


async def measure_ours(count: int, pages: int, first_paint_only: bool = False) -> dict:
    # Imported before the clock starts, as the floor's app is: the app, its
    # view tabs (imported when views are on: this harness turns two on), and
    # what the harness builds it from. Importing is the start-up row's to judge.
    import tiri_tui.settings.customisation
    import tiri_tui.sync.rules
    import tiri_tui.ui.app
    import tiri_tui.ui.view_tabs  # noqa: F401
    from benchmarks.common import dashboard_app
    from tests.support.fakes import offline_controller
    from tiri_tui.commands import gc_tuning
    from tiri_tui.ui.notification_list import NotificationList

    gc_tuning.tune()  # before anything is loaded, as the entry point does
    started = time.perf_counter()
    controller = offline_controller()
    take_rows(controller, notifications(count, SPACING))
    loaded = time.perf_counter() - started

    painted, stamp, restore = hook_first_paint(NotificationList)
    t0 = time.perf_counter()
    app = dashboard_app(controller=controller, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(painted.wait(), 60)
        restore()
        first_paint = stamp["t"] - t0
        if first_paint_only:
            return {"variant": "ours", "count": count, "first_paint_s": first_paint}
        view = app.query_one(NotificationList)

        def row_id(line: int) -> str | None:
            row, header = view.days.at_line(line) if line < view.days.lines else (-1, True)
            return None if header else view.source[row].id

        watch = PaintWatch(view, row_id)
        async with StallProbe() as probe:
            paging = await page_downs(view, watch, pages, view.days.lines, view.action_page_down)
            template = controller.inbox[0]
            new_row = []
            for k in range(NEW_ROWS):
                fresh = msgspec.structs.replace(
                    template,
                    id=f"new-{k}",
                    created_at=datetime(2027, 1, 1, tzinfo=UTC) + timedelta(seconds=k),
                )
                view.move_to(0)
                view.scroll_to(y=0, animate=False, immediate=True)
                await pilot.pause()
                # Drawn on line 1 when a new day's header comes first.
                watch.expect(lambda i, nid, want=fresh.id: i <= 1 and nid == want)
                t = time.perf_counter()
                take_rows(controller, [fresh], live=True)
                new_row.append(await watch.wait() - t)
        rss = rss_mb()
    return {
        "stall": probe.summary(),
        "variant": "ours",
        "count": count,
        "load_s": loaded,
        "first_paint_s": first_paint,
        "page_down": summary_ms(paging),
        "new_row": summary_ms(new_row),
        "rss_mb": rss,
    }


async def measure_floor(count: int, pages: int, first_paint_only: bool = False) -> dict:
    from benchmarks.floor_list import FloorApp, MinimalList

    started = time.perf_counter()
    rows = [
        f"● request_accepted   5m  Request Accepted #{i}  Volunteer {i} accepted your request"
        for i in range(count)
    ]
    loaded = time.perf_counter() - started

    painted, stamp, restore = hook_first_paint(MinimalList)
    t0 = time.perf_counter()
    app = FloorApp(rows)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(painted.wait(), 60)
        restore()
        first_paint = stamp["t"] - t0
        if first_paint_only:
            return {"variant": "floor", "count": count, "first_paint_s": first_paint}
        view = app.query_one(MinimalList)
        watch = PaintWatch(view, lambda i: view.rows[i] if i < len(view.rows) else None)
        async with StallProbe() as probe:
            paging = await page_downs(view, watch, pages, count, view.page_down)
            new_row = []
            for k in range(NEW_ROWS):
                view.scroll_to(y=0, animate=False, immediate=True)
                await pilot.pause()
                row = f"new row {k}"
                watch.expect(lambda i, text, want=row: i == 0 and text == want)
                t = time.perf_counter()
                view.prepend(row)
                new_row.append(await watch.wait() - t)
        rss = rss_mb()
    return {
        "stall": probe.summary(),
        "variant": "floor",
        "count": count,
        "load_s": loaded,
        "first_paint_s": first_paint,
        "page_down": summary_ms(paging),
        "new_row": summary_ms(new_row),
        "rss_mb": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=["ours", "floor"])
    parser.add_argument("count", type=int)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument(
        "--first-paint-only", action="store_true", help="stop at the first paint (a sample of it)"
    )
    args = parser.parse_args()
    measure = measure_ours if args.variant == "ours" else measure_floor
    print(json.dumps(asyncio.run(measure(args.count, args.pages, args.first_paint_only))))


if __name__ == "__main__":
    main()
