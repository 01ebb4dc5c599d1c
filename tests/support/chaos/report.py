"""What a chaos run found, and the means to diagnose it: the report, the
post-mortem of a lost notification, and the leak measurements."""

from __future__ import annotations

import collections
import contextlib
import gc
import logging
import os
import re
import resource
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tiri_tui import server
from tiri_tui.sync import inbox
from tiri_tui.wire import models


class ProductFailure(AssertionError):
    """The product broke a promise the soak relies on (it never reconnected,
    its outbox never drained, a new login's session vanished): the product's
    fault. Any other exception in the soak's own code is a harness error."""


def failure_kind(exc: BaseException) -> str:
    """Whose fault an exception that stopped (part of) a run is: "product" or "harness"."""
    return "product" if isinstance(exc, ProductFailure) else "harness"


@dataclass
class ChaosReport:
    """Counts of what happened, and lists of what went wrong (empty when clean)."""

    seed: int = 0
    faults: collections.Counter[str] = field(default_factory=collections.Counter)
    created: int = 0
    marks: int = 0
    mark_alls: int = 0
    lost: list[str] = field(default_factory=list)
    read_state_mismatches: list[str] = field(default_factory=list)
    marks_not_on_server: list[str] = field(default_factory=list)
    tail_missing: list[str] = field(default_factory=list)
    tail_duplicates: list[str] = field(default_factory=list)
    #: Sessions that ended though the server never rotated the client's refresh
    #: token away unseen: a logout the product caused.
    spurious_logouts: list[str] = field(default_factory=list)
    #: Background tasks of the product that crashed.
    task_failures: list[str] = field(default_factory=list)
    #: The run itself could not finish (e.g. the client never reconnected),
    #: and whose fault that was: "product" or "harness" (see failure_kind).
    crashed: str = ""
    crash_kind: str = ""
    #: What the session watcher met on the way, by whose fault: broken promises
    #: of the product, and errors of the soak's own code (fix the test then).
    product_failures: list[str] = field(default_factory=list)
    harness_errors: list[str] = field(default_factory=list)
    leaked_tasks: int = 0
    leaked_fds: int = 0
    leaked_connections: int = 0
    #: Sessions ended because a fault destroyed a refresh's answer after the
    #: server had rotated the token (inherent with rotation + blacklisting):
    #: the user logs in again, and nothing may be lost across it.
    forced_logouts: int = 0
    #: The storm guard ended in "log in again" (the run's random 4001 closes).
    auth_gave_up: int = 0
    rss_growth_mb: float = 0.0
    #: Memory allocated after the first quarter and still alive at the end,
    #: not counting the notifications themselves (server, client and tail log
    #: legitimately hold every one): what a leak would show up in.
    machinery_growth_mb: float = 0.0
    lost_histories: collections.Counter[str] = field(default_factory=collections.Counter)
    seconds: float = 0.0
    reconnects: int = 0
    frames_dropped: int = 0
    fallback_refreshes: int = 0
    refreshes: int = 0

    #: Growth past this many MB not made of notification data is a leak.
    MACHINERY_LIMIT_MB = 5.0

    def problems(self) -> list[str]:
        """Everything that breaks a promise; empty when the run was clean."""
        checks = {
            "lost": len(self.lost),
            "tail duplicates": len(self.tail_duplicates),
            "tail missing": len(self.tail_missing),
            "read-state mismatches": len(self.read_state_mismatches),
            "marks not on the server": len(self.marks_not_on_server),
            "spurious logouts": len(self.spurious_logouts),
            "crashed tasks": len(self.task_failures),
            "leaked tasks": self.leaked_tasks,
            "leaked fds": self.leaked_fds,
            "leaked connections": self.leaked_connections,
            "product failures": len(self.product_failures),
            "harness errors": len(self.harness_errors),
        }
        found = [f"{what} {count}" for what, count in checks.items() if count]
        if self.crashed:
            return [f"crashed ({self.crash_kind or 'harness'}): {self.crashed}", *found]
        if self.machinery_growth_mb >= self.MACHINERY_LIMIT_MB:
            found.append(f"non-data growth {self.machinery_growth_mb:.1f} MB")
        if not (self.created and self.marks):
            found.append("nothing happened")
        return found

    def verdict(self) -> str:
        """Whose fault a failure is: "product", "harness", both, or "ok" when none."""
        problems = self.problems()
        if not problems:
            return "ok"
        harness_crash = bool(self.crashed) and self.crash_kind != "product"
        harness_items = int(bool(self.harness_errors)) + int(harness_crash)
        kinds = []
        if len(problems) > harness_items:  # anything else is a promise the product broke
            kinds.append("product")
        if harness_items:
            kinds.append("harness")
        return "FAIL (" + " and ".join(kinds) + ")"

    def line(self) -> str:
        """One line for a seed sweep's table."""
        return (
            f"seed {self.seed:>8}  faults {sum(self.faults.values()):>5}  "
            f"created {self.created:>5}  marks {self.marks + self.mark_alls:>4}  "
            f"lost {len(self.lost)}  dup {len(self.tail_duplicates)}  "
            f"tail-missing {len(self.tail_missing)}  mismatch {len(self.read_state_mismatches)}  "
            f"unmarked {len(self.marks_not_on_server)}  leaks "
            f"{self.leaked_tasks}/{self.leaked_fds}/{self.leaked_connections}  "
            f"refreshes {self.refreshes:>3}  forced-logouts {self.forced_logouts}  "
            f"spurious {len(self.spurious_logouts)}  {self.seconds:>4.0f} s  "
            + (self.verdict() + ": " + ", ".join(self.problems()) if self.problems() else "ok")
        )

    def summary(self) -> str:
        """Everything, for one run's own output."""
        return (
            f"seed {self.seed}: {sum(self.faults.values())} faults "
            f"({dict(sorted(self.faults.items()))}) in {self.seconds:.0f} s; "
            f"{self.created} notifications, {self.marks} marks + {self.mark_alls} mark-alls; "
            f"lost {len(self.lost)}, duplicates {len(self.tail_duplicates)}, "
            f"tail missing {len(self.tail_missing)}, read mismatches "
            f"{len(self.read_state_mismatches)}, marks not on server "
            f"{len(self.marks_not_on_server)}; token refreshes {self.refreshes}, forced "
            f"logouts {self.forced_logouts}, spurious logouts {self.spurious_logouts}, "
            f"storm guard {self.auth_gave_up}; reconnects {self.reconnects}, frames dropped "
            f"{self.frames_dropped}, fallback refreshes {self.fallback_refreshes}; crashed "
            f"tasks {self.task_failures}; leaked tasks {self.leaked_tasks}, fds "
            f"{self.leaked_fds}, connections {self.leaked_connections}; product failures "
            f"{self.product_failures}, harness errors {self.harness_errors}; RSS growth "
            f"{self.rss_growth_mb:.1f} MB, of it not notification data "
            f"{self.machinery_growth_mb:.2f} MB"
            + (f"; lost ones: {dict(self.lost_histories)}" if self.lost_histories else "")
            + (f"; crashed ({self.crash_kind}): {self.crashed}" if self.crashed else "")
            + f"; verdict: {self.verdict()}"
        )


# -- the post-mortem of a lost notification ---------------------------------------------
_SYNC_MOVE = re.compile(r"^in sync up to (?P<moment>.+?) \((?P<why>[^)]*)\)$")


def sync_moment(message: str) -> datetime | None:
    """The moment of an "in sync up to <moment> (<why>)" line, else None."""
    match = _SYNC_MOVE.match(message)
    return datetime.fromisoformat(match["moment"]) if match else None


def post_mortem(created: str, when: float, sync_log: list[tuple[float, str]]) -> list[str]:
    """The client's sync decisions from just before a lost one was sent to the
    move of the sync point that passed it (the one that skipped it)."""
    born = datetime.fromisoformat(created.replace("Z", "+00:00")) if created != "?" else None
    lines = []
    for stamp, message in sync_log:
        if stamp < when - 0.3:
            continue
        lines.append(f"{stamp - when:+.3f} {message}")
        moment = sync_moment(message)
        if born is not None and moment is not None and moment >= born:
            lines.append("   ^ this move passed it")
            break
    return lines


class _ListHandler(logging.Handler):
    """Keeps the client's sync decisions with their times, for a loss post-mortem."""

    def __init__(self, sink: list[tuple[float, str]]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name.startswith("tiri_tui.") and (
            "sync" in message or "gap" in message or "connection " in message
        ):
            self.sink.append((time.monotonic(), message))


@contextlib.contextmanager
def sync_trace(sink: list[tuple[float, str]]) -> Iterator[None]:
    """Record the client's sync decisions into ``sink`` for the run's length.

    The records go only there: kept by pytest's log capture, a soak's
    thousands of debug records would count as growth (and bury the report).
    """
    trace, frames = logging.getLogger("tiri_tui"), logging.getLogger("tiri_tui.websocket")
    saved = trace.level, trace.propagate, frames.level
    handler = _ListHandler(sink)
    trace.setLevel(logging.DEBUG)
    trace.propagate = False
    frames.setLevel(logging.INFO)  # not every frame
    trace.addHandler(handler)
    try:
        yield
    finally:
        trace.removeHandler(handler)
        trace.level, trace.propagate, frames.level = saved


# -- leaks -------------------------------------------------------------------------------
def open_fds() -> int:
    """File descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


def rss_mb() -> float:
    """Peak resident memory of this process, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: Where notification data lives: allocations made from these are data, not leaks.
#: The client's modules are named by their own files (a path written here went
#: stale when they moved into their layer's folder, and the data they hold was
#: then counted as the machinery's growth).
_DATA_FILES = (
    "tests/support/chaos/",
    str(Path(server.__file__).parent),
    models.__file__,
    inbox.__file__,
    "json/decoder.py",  # payloads parsed into the notifications' extra_data
)


def machinery_growth() -> int:
    """Bytes allocated since tracing started, still alive, that are not data."""
    if not tracemalloc.is_tracing():
        return 0
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    total = 0
    for stat in snapshot.statistics("traceback"):
        if not any(part in frame.filename for frame in stat.traceback for part in _DATA_FILES):
            total += stat.size
    return total
