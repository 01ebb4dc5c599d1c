"""Run every benchmark, print metric · measured · goal · pass/fail, write the raw figures.

    python -m benchmarks            # the full run (about 5 minutes)
    python -m benchmarks --quick    # under a minute; CI runs it so nothing rots

Latencies are shown next to a floor measured in the same run, as a ratio,
because absolute times on a shared machine drift.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import ROOT, median, run_child, summary_ms


@dataclass(frozen=True)
class Plan:
    stream_seconds: float
    burst: int
    pages: int
    startup_runs: int
    idle_seconds: float
    scaling_seconds: float
    sizes: tuple[int, ...]


FULL = Plan(
    stream_seconds=20,
    burst=10_000,
    pages=300,
    startup_runs=5,
    idle_seconds=60,
    scaling_seconds=5,
    sizes=(1_000, 10_000, 100_000),
)
QUICK = Plan(
    stream_seconds=2,
    burst=10_000,
    pages=40,
    startup_runs=3,
    idle_seconds=10,
    scaling_seconds=1,
    sizes=(1_000, 100_000),
)


class Table:
    """The result rows, and the raw figures behind them."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []
        self.raw: dict[str, object] = {}

    def add(self, metric: str, measured: str, goal: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("pass" if ok else "FAIL")
        self.rows.append((metric, measured, goal, verdict))

    def render(self) -> str:
        head = ("metric", "measured", "goal", "")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(4)]
        lines = [" | ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
        lines.append("-|-".join("-" * w for w in widths))
        lines += [
            " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in self.rows
        ]
        return "\n".join(lines)

    @property
    def failures(self) -> int:
        return sum(1 for r in self.rows if r[3] == "FAIL")


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


async def delivery_figures(plan: Plan, table: Table) -> None:
    from benchmarks.delivery import (
        ServerProcess,
        burst,
        controller_stream,
        floor_burst,
        floor_stream,
        reconnect,
    )

    async with ServerProcess() as server:
        floor = summary_ms(await floor_stream(server, 100, plan.stream_seconds))
        ours = summary_ms(
            (await controller_stream(server, 100, plan.stream_seconds, 0, False))["b"]
        )
        painted = await controller_stream(server, 100, plan.stream_seconds, 0, True)
        rendered = summary_ms(painted["c"])
        table.raw["latency"] = {
            "floor": floor,
            "controller": ours,
            "rendered": rendered,
            "missing_paints": painted["missing_paints"],
        }
        table.add(
            "latency (a) bare websockets floor, p50/p99",
            f"{ms(floor['p50_ms'])} / {ms(floor['p99_ms'])}",
        )
        ratio = ours["p50_ms"] / floor["p50_ms"]
        table.add(
            "latency (b) in controller, p50 (× floor)",
            f"{ms(ours['p50_ms'])} ({ratio:.2f}×)",
            "≤ 1.5× floor",
            ratio <= 1.5,
        )
        table.add(
            "latency (b) in controller, p99", ms(ours["p99_ms"]), "≤ 5 ms", ours["p99_ms"] <= 5
        )
        table.add(
            "latency (c) row painted, p50 (× floor)",
            f"{ms(rendered['p50_ms'])} ({rendered['p50_ms'] / floor['p50_ms']:.0f}×)",
        )
        table.add(
            "latency (c) row painted, p99 / max",
            f"{ms(rendered['p99_ms'])} / {ms(rendered['max_ms'])}",
            "p99 ≤ 25 ms",
            rendered["p99_ms"] <= 25,
        )

        floor_s = await floor_burst(server, plan.burst)
        result = await burst(server, plan.burst)
        table.raw["burst"] = {"floor_s": floor_s, **result}
        table.add(f"burst {plan.burst:,}: bare client parsed all (floor)", f"{floor_s:.3f} s")
        table.add(
            f"burst {plan.burst:,}: in controller and painted",
            f"{result['absorbed_s']:.3f} s ({result['absorbed_s'] / floor_s:.1f}× floor)",
            "≤ 1 s",
            result["absorbed_s"] <= 1,
        )
        intact = result["lost"] == 0 and result["duplicates"] == 0
        table.add(
            "burst: lost / duplicated",
            f"{result['lost']} / {result['duplicates']}",
            "0 / 0",
            intact,
        )
        key = result["key_delay"]
        table.add(
            "burst: key delay (a key every 20 ms), p99",
            ms(key["p99_ms"]),
            "≤ 100 ms",
            key["p99_ms"] <= 100,
        )

        again = await reconnect(server)
        table.raw["reconnect"] = again
        within = again["listening_to_filled_s"] <= again["backoff_delay_s"] + 1
        table.add(
            "reconnect: listening again → connected + gap-filled",
            f"{again['listening_to_filled_s']:.2f} s (backoff delay {again['backoff_delay_s']:.2f} s)",
            "≤ backoff + 1 s",
            within,
        )

        for size in plan.sizes:
            held_b = summary_ms(
                (await controller_stream(server, 100, plan.scaling_seconds, size, False))["b"]
            )
            held_c = summary_ms(
                (await controller_stream(server, 100, plan.scaling_seconds, size, True))["c"]
            )
            table.raw[f"scaling_latency_{size}"] = {"controller": held_b, "rendered": held_c}
            table.add(
                f"scaling: {size:,} held, latency (b) / (c) p50",
                f"{ms(held_b['p50_ms'])} / {ms(held_c['p50_ms'])}",
            )


def list_figures(plan: Plan, table: Table) -> None:
    for size in plan.sizes:
        ours = run_child("benchmarks.biglist", "ours", str(size), "--pages", str(plan.pages))
        floor = run_child("benchmarks.biglist", "floor", str(size), "--pages", str(plan.pages))
        table.raw[f"list_{size}"] = {"ours": ours, "floor": floor}
        tag = f"list {size:,}"
        big = size >= 100_000
        table.add(
            f"{tag}: first paint (floor)",
            f"{ours['first_paint_s']:.3f} s ({floor['first_paint_s']:.3f} s)",
            "≤ 0.25 s" if big else "",
            ours["first_paint_s"] <= 0.25 if big else None,
        )
        pd, fpd = ours["page_down"]["p50_ms"], floor["page_down"]["p50_ms"]
        table.add(
            f"{tag}: PageDown p50 (floor)",
            f"{ms(pd)} ({ms(fpd)})",
            "≤ 10 ms" if big else "",
            pd <= 10 if big else None,
        )
        nr, fnr = ours["new_row"]["p50_ms"], floor["new_row"]["p50_ms"]
        table.add(
            f"{tag}: new row at top painted p50 (floor)",
            f"{ms(nr)} ({ms(fnr)})",
            "≤ 16 ms" if big else "",
            nr <= 16 if big else None,
        )
        table.add(
            f"{tag}: RSS (floor)",
            f"{ours['rss_mb']:.0f} MB ({floor['rss_mb']:.0f} MB)",
            "≤ 150 MB" if big else "",
            ours["rss_mb"] <= 150 if big else None,
        )


def startup_figures(plan: Plan, table: Table) -> None:
    import jwt

    from tests.support.fakes import notifications
    from tiri_tui.auth import FileTokenStore, Session
    from tiri_tui.config import Settings
    from tiri_tui.store import NotificationCache

    totals, imports = [], []
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(server="http://127.0.0.1:1", home=Path(home))
        far = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
        access = jwt.encode(
            {"exp": far, "iat": far - 3600, "user_id": "1"}, "x" * 32, algorithm="HS256"
        )
        FileTokenStore(settings.config_dir / "sessions").save(
            settings.server, Session(access, "refresh-token-not-used", "demo@tiri.local", "1")
        )
        cache = NotificationCache(settings.cache_dir / f"{settings.account_slug('1')}.sqlite3")
        cache.replace(notifications(1000), 333)
        cache.close()
        for _ in range(plan.startup_runs):
            started = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.startup_probe", home],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            line = child.stdout.readline()
            total = time.perf_counter() - started
            child.wait(timeout=30)
            figures = json.loads(line)
            if figures["rows"] != 1000:
                raise RuntimeError(f"start-up painted {figures['rows']} rows, not the 1,000 cached")
            totals.append(total)
            imports.append(figures["imports_s"])
    total, imported = median(totals), median(imports)
    table.raw["startup"] = {"totals_s": totals, "imports_s": imports}
    table.add(
        "start-up: process start → first paint, 1,000 cached, server down",
        f"{total:.3f} s (imports {imported:.3f} s = {100 * imported / total:.0f}%)",
        "≤ 0.6 s",
        total <= 0.6,
    )


async def idle_figure(plan: Plan, table: Table) -> None:
    from benchmarks.delivery import ServerProcess

    async with ServerProcess() as server:
        result = await asyncio.to_thread(
            run_child, "benchmarks.idle_probe", server.url, str(plan.idle_seconds)
        )
    table.raw["idle"] = result
    table.add(
        f"idle CPU, connected, no traffic, {plan.idle_seconds:.0f} s",
        f"{result['cpu_percent']:.2f} % of a core",
        "≤ 1 %",
        result["cpu_percent"] <= 1 and result["state"] == "connected",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="short runs (under a minute)")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "benchmarks" / "results" / "latest.json",
        help="where to write the raw figures (JSON)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    table = Table()
    started = time.perf_counter()
    asyncio.run(delivery_figures(plan, table))
    list_figures(plan, table)
    startup_figures(plan, table)
    asyncio.run(idle_figure(plan, table))
    elapsed = time.perf_counter() - started
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"tiri-tui benchmarks ({'quick' if args.quick else 'full'} run, {elapsed:.0f} s; {machine})\n"
    )
    print(table.render())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "quick": args.quick,
                "machine": machine,
                "when": datetime.now(UTC).isoformat(),
                "rows": table.rows,
                "raw": table.raw,
            },
            indent=2,
        )
    )
    print(f"\nraw figures: {args.output}")
    # CI checks that the benchmarks run, not their figures (a shared machine drifts).
    return 0
