"""Commands on arrival: ``[[rules]] action = "run"``, run by the agent.

The notification reaches the command only through its environment
(``TIRI_ID``, ``TIRI_TITLE``, ``TIRI_MESSAGE``, ``TIRI_TYPE``,
``TIRI_PRIORITY``, ``TIRI_CREATED_AT``, ``TIRI_EXTRA_JSON``), never through
its command line: a title like ``$(touch PWNED)`` is a string in a variable,
and stays one unless the person's own script evaluates it. The command line
is the person's own, from config.toml, run by ``sh -c`` as ntfy's
``subscribe … COMMAND`` runs its own. Each run has a time limit; at most a
few run at once and a bounded number wait; what they print goes to the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections import deque
from collections.abc import Mapping

from tiri_tui.attention.rules import Action, AttentionRules, Rule
from tiri_tui.wire.models import Notification, format_timestamp
from tiri_tui.wire.text import one_line

log = logging.getLogger(__name__)

#: Seconds a command may run before it is stopped (TERM, then KILL).
TIME_LIMIT = 30.0
#: Commands running at once; the rest wait their turn.
AT_ONCE = 4
#: Commands waiting at most; beyond, an arrival's command is skipped (and logged).
WAITING_LIMIT = 100
#: Bytes of a command's output kept for the log.
OUTPUT_LIMIT = 4096
#: After TERM, how long a command has to end before KILL.
KILL_GRACE = 2.0


def environment(n: Notification, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the notification's fields added as ``TIRI_*`` variables.

    A variable cannot hold a NUL (it becomes U+FFFD) nor a lone surrogate,
    which is not Unicode text (it becomes ``?``); everything else arrives
    exactly as the server sent it.
    """
    extra = n.extra_data
    fields = {
        "TIRI_ID": n.id,
        "TIRI_TITLE": n.title,
        "TIRI_MESSAGE": n.message,
        "TIRI_TYPE": n.notification_type,
        "TIRI_PRIORITY": n.priority or "",
        "TIRI_CREATED_AT": format_timestamp(n.created_at),
        "TIRI_EXTRA_JSON": json.dumps(extra if extra is not None else {}, ensure_ascii=False),
    }
    return {**base, **{key: _storable(value) for key, value in fields.items()}}


def _storable(value: str) -> str:
    return value.encode("utf-8", "replace").decode("utf-8").replace("\0", "\ufffd")


class ArrivalCommands:
    """Runs the ``run`` rules' commands for arrivals, within the limits."""

    def __init__(
        self,
        rules: AttentionRules,
        *,
        time_limit: float = TIME_LIMIT,
        at_once: int = AT_ONCE,
        waiting_limit: int = WAITING_LIMIT,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.rules = rules
        self.time_limit = time_limit
        self._at_once = at_once
        self._waiting: deque[tuple[Rule, Notification]] = deque()
        self._waiting_limit = waiting_limit
        self._running: set[asyncio.Task[None]] = set()
        self._base_env = base_env
        #: Runs started, ended in time, stopped at the time limit, skipped (too many waiting).
        self.started = self.finished = self.timed_out = self.skipped = 0

    @property
    def any(self) -> bool:
        """Whether some rule runs a command."""
        return any(rule.action is Action.RUN for rule in self.rules.rules)

    def arrived(self, n: Notification) -> None:
        """``n`` is new to the person: run its rule's command, if it has one."""
        rule = self.rules.rule_for(n)
        if rule is None or rule.action is not Action.RUN:
            return
        if len(self._waiting) >= self._waiting_limit:
            self.skipped += 1
            log.warning("too many commands waiting: skipped rule %s for %s", rule.line, n.id)
            return
        self._waiting.append((rule, n))
        self._start_waiting()

    def _start_waiting(self) -> None:
        while self._waiting and len(self._running) < self._at_once:
            rule, n = self._waiting.popleft()
            task = asyncio.ensure_future(self._run(rule, n))
            self._running.add(task)
            task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a command on arrival failed to run: %s", task.exception())
        self._start_waiting()

    async def _run(self, rule: Rule, n: Notification) -> None:
        assert rule.run is not None
        self.started += 1
        base = os.environ if self._base_env is None else self._base_env
        spawning = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                "/bin/sh",
                "-c",
                rule.run,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=environment(n, base),
                start_new_session=True,  # its own group: a time-out stops what it started too
            )
        )
        try:
            process = await asyncio.shield(spawning)
        except asyncio.CancelledError:
            # Stopping while it starts: the shell may run already, and what it
            # starts with it; asyncio would kill the shell alone.
            with contextlib.suppress(Exception):
                await _stop(await spawning)
            raise
        try:
            # The limit covers its whole run: one that closes its output early
            # (`exec >/dev/null; …`) is waited for no longer than one that prints.
            output, code = await asyncio.wait_for(_run_to_end(process), self.time_limit)
        except asyncio.CancelledError:  # the agent is stopping: nothing it started outlives it
            await _stop(process)
            raise
        except TimeoutError:
            self.timed_out += 1
            await _stop(process)
            log.warning(
                "rule %s: command stopped after %.0f s (notification %s)",
                rule.line,
                self.time_limit,
                one_line(n.id),
            )
            return
        self.finished += 1
        level = logging.INFO if code == 0 else logging.WARNING
        log.log(
            level,
            "rule %s: command exited %d for notification %s%s",
            rule.line,
            code,
            one_line(n.id),
            f": {one_line(output)}" if output else "",
        )

    async def aclose(self) -> None:
        """Stop what runs; forget what waits."""
        self._waiting.clear()
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)


async def _run_to_end(process: asyncio.subprocess.Process) -> tuple[str, int]:
    """What it printed (the start of it) and its exit code."""
    assert process.stdout is not None
    kept = bytearray()
    while chunk := await process.stdout.read(65536):
        if len(kept) < OUTPUT_LIMIT:
            kept += chunk[: OUTPUT_LIMIT - len(kept)]
    code = await process.wait()
    return kept.decode("utf-8", "replace").strip(), code


async def _stop(process: asyncio.subprocess.Process) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), KILL_GRACE)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
