"""Shared bits of the benchmarks: statistics, memory, child processes, paint hooks."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank on sorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    """p50/p99/max of durations given in seconds, reported in milliseconds."""
    return {
        "p50_ms": percentile(values, 50) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "max_ms": max(values) * 1000 if values else float("nan"),
        "n": len(values),
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss_mb() -> float:
    """Resident set size of this process, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_child(module: str, *args: str, timeout: float = 300, env: dict | None = None) -> dict:
    """Run `python -m MODULE ARGS` and return the JSON object it prints last."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class PaintWatch:
    """Resolves when a ScrollView's render_line has drawn a wanted row.

    Installed around a widget's ``render_line`` so a benchmark learns when the
    compositor actually drew something, without Pilot's fixed pauses.
    """

    def __init__(self, widget, row_of: Callable[[int], object]) -> None:
        self.widget = widget
        self.row_of = row_of
        self.target: Callable[[int, object], bool] | None = None
        self.event = asyncio.Event()
        self.painted_at = 0.0
        original = widget.render_line

        def watched(y: int):
            strip = original(y)
            if self.target is not None:
                index = widget.scroll_offset.y + y
                if self.target(index, self.row_of(index)):
                    self.painted_at = time.perf_counter()
                    self.target = None
                    self.event.set()
            return strip

        widget.render_line = watched

    def expect(self, target: Callable[[int, object], bool]) -> asyncio.Event:
        self.event = asyncio.Event()
        self.target = target
        return self.event

    async def wait(self, timeout: float = 5.0) -> float:
        await asyncio.wait_for(self.event.wait(), timeout)
        return self.painted_at


def dashboard_app(*args: Any, **kwargs: Any) -> Any:
    """The dashboard app as the entry point builds it (GC tuned and paused until
    its first frame, loads frozen),
    with two saved views on (their tabs count over the server as they would)."""
    from tiri_tui.commands import gc_tuning
    from tiri_tui.settings.customisation import Customisation, SavedView
    from tiri_tui.sync.rules import Filters
    from tiri_tui.ui.app import TiriApp

    kwargs.setdefault(
        "customisation",
        Customisation(
            views=(
                SavedView("urgent", Filters(unread_only=True, priority="urgent")),
                SavedView("chat", Filters(types=frozenset({"new_message", "chat_room_created"}))),
            )
        ),
    )
    gc_tuning.tune()
    # As the entry point: no collections from here until the first frame is drawn.
    gc_tuning.pause()
    kwargs.setdefault("first_frame", gc_tuning.resume)
    settled = asyncio.Event()

    def rows_settled() -> None:
        gc_tuning.freeze_survivors()
        settled.set()

    app = TiriApp(*args, rows_settled=rows_settled, **kwargs)
    app.settled = settled
    return app


async def settle(app: Any, pilot: Any) -> None:
    """Until the app is past its start-up: the first load painted and its
    rows taken out of the collector's scans (a scenario measures the steady
    state; start-up has its own row)."""
    await pilot.pause()
    if app.controller is not None and app.controller.loaded.is_set():
        await asyncio.wait_for(app.settled.wait(), 10)
    await pilot.pause()
