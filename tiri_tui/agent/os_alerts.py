"""The agent's alerts, for when no terminal shows the dashboard.

The same decisions as the dashboard's (:class:`~tiri_tui.attention.attention.Attention`:
the rules, the quiet hours, coalescing and the rate limit), raised through the
OS's notification service with two buttons: *Mark read* (what the alert
stands for, through the agent's outbox) and *Open* (the ``open_command``, by
default the dashboard in a new terminal window). While a dashboard is open on
the profile the agent raises nothing: the dashboard alerts for itself.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from tiri_tui.attention.attention import Attention
from tiri_tui.attention.do_not_disturb import DoNotDisturb, away_from_held
from tiri_tui.attention.sequences import BODY_WIDTH, TITLE_WIDTH
from tiri_tui.sync.inbox import Inbox
from tiri_tui.wire.models import Notification
from tiri_tui.wire.text import bare

log = logging.getLogger(__name__)

#: A freedesktop notification server may read its body as markup: nothing may form a tag.
_NO_MARKUP = str.maketrans({"<": "‹", ">": "›", "&": "＆"})
MARK_READ, OPEN = "Mark read", "Open"


class Notifier(Protocol):
    """Raises one OS notification with buttons (each a label and what it does)."""

    async def send(
        self, title: str, body: str, buttons: Mapping[str, Callable[[], None]]
    ) -> None: ...


class DesktopNotifier:
    """:class:`Notifier` through the ``desktop-notifier`` library (D-Bus, Notification Center)."""

    def __init__(self, notifier: Any, button: Any) -> None:
        self._notifier = notifier
        self._button = button

    @classmethod
    def create(cls) -> DesktopNotifier | None:
        """None (and a warning in the log) when the optional extra is not installed."""
        try:
            from desktop_notifier import Button
            from desktop_notifier import DesktopNotifier as Library
        except ImportError:
            log.warning("OS alerts need the optional extra: pip install 'tiri-tui[desktop]'")
            return None
        return cls(Library(app_name="tiri-tui"), Button)

    async def send(self, title: str, body: str, buttons: Mapping[str, Callable[[], None]]) -> None:
        await self._notifier.send(
            title=title,
            message=body,
            buttons=[
                self._button(title=label, on_pressed=press) for label, press in buttons.items()
            ],
        )


def open_command(
    configured: str, dashboard: Sequence[str], environ: Mapping[str, str]
) -> list[str] | None:
    """What *Open* runs: the configured command's words, or the dashboard in
    a new terminal window (``$TERMINAL``, Debian's ``x-terminal-emulator``, or
    macOS's Terminal); None when there is no way to open one."""
    if configured.strip():
        return shlex.split(configured)
    terminal = environ.get("TERMINAL") or shutil.which(
        "x-terminal-emulator", path=environ.get("PATH")
    )
    if terminal:
        return [terminal, "-e", *dashboard]
    if sys.platform == "darwin":
        return ["open", "-a", "Terminal", dashboard[0], "--args", *dashboard[1:]]
    return None


class OsAlerts:
    """Arrivals in; OS notifications with buttons out, when no dashboard is open."""

    def __init__(
        self,
        attention: Attention,
        notifier: Notifier,
        *,
        mark_read: Callable[[str], object],
        opener: list[str] | None,
        dashboards_open: Callable[[], bool],
        clock: Callable[[], float],
        held: Callable[[], Inbox],
    ) -> None:
        #: The decisions it follows (the agent tells it the server's quiet hours).
        self.attention = attention
        self._notifier = notifier
        self._mark_read = mark_read
        self._opener = opener
        self._dashboards_open = dashboards_open
        self._clock = clock
        self._held = held
        #: What the next alert stands for (its Mark read button marks these).
        self._waiting: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Alerts raised (for the tests and `agent status`).
        self.raised = 0

    def arrived(self, n: Notification) -> None:
        """``n`` is new to the person."""
        if self._dashboards_open():
            return  # the dashboard treats it (its rules, its alerts)
        treatment = self.attention.arrived(n)
        if treatment.mark_read:
            self._mark_read(n.id)
        elif treatment.highlight:
            self._waiting.append(n.id)
        self._arm()

    def _arm(self) -> None:
        due = self.attention.due
        if due is None or self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(max(0.0, due - self._clock()), self._raise)

    def _raise(self) -> None:
        self._timer = None
        alert = self.attention.take()
        ids, self._waiting = self._waiting, []
        if alert is not None and not self._dashboards_open():
            title = bare(alert.title, TITLE_WIDTH).translate(_NO_MARKUP)
            body = bare(alert.body, BODY_WIDTH).translate(_NO_MARKUP)
            buttons: dict[str, Callable[[], None]] = {MARK_READ: lambda: self._mark_all(ids)}
            if self._opener is not None:
                buttons[OPEN] = self._open
            self.raised += 1
            self._spawn(self._send(title, body, buttons))
        self._arm()

    def in_force(self) -> dict[str, object]:
        """What these alerts keep to now, for `agent status`."""
        hours = self.attention.quiet_hours
        return {
            "do_not_disturb": self.attention.silenced,
            "quiet_hours": None if hours is None else str(hours),
            "quiet_hours_from": (
                "config.toml" if self.attention.rules.quiet_hours else "the server's preferences"
            ),
        }

    def caught_up(self, span: DoNotDisturb) -> None:
        """Do not disturb ended: one alert says what came within ``span``,
        counted from what the agent holds (an open dashboard says it itself)."""
        away = away_from_held(self._held(), span, self.attention.worth_telling)
        alert = self.attention.catch_up(away)
        if alert is None or self._dashboards_open():
            return
        title = bare(alert.title, TITLE_WIDTH).translate(_NO_MARKUP)
        body = bare(alert.body, BODY_WIDTH).translate(_NO_MARKUP)
        buttons: dict[str, Callable[[], None]] = {} if self._opener is None else {OPEN: self._open}
        self.raised += 1
        self._spawn(self._send(title, body, buttons))

    def _mark_all(self, ids: list[str]) -> None:
        for nid in ids:
            self._mark_read(nid)

    def _open(self) -> None:
        assert self._opener is not None
        self._spawn(self._run_opener(self._opener))

    async def _run_opener(self, command: list[str]) -> None:
        # Started in the background by a shell that ends at once (the words are
        # its arguments, "$@": never read as shell text): the window outlives
        # the agent, and the agent waits only for that shell, so nothing it
        # started is left unreaped when it stops.
        try:
            process = await asyncio.create_subprocess_exec(
                "/bin/sh",
                "-c",
                'command -v "$1" >/dev/null || exit 127; "$@" </dev/null >/dev/null 2>&1 &',
                "sh",
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            log.warning("cannot open the dashboard: %s", exc)
            return
        if await process.wait() == 127:
            log.warning("cannot open the dashboard: no command %r", command[0])

    async def _send(self, title: str, body: str, buttons: dict[str, Callable[[], None]]) -> None:
        try:
            await self._notifier.send(title, body, buttons)
        except Exception as exc:  # no notification service (a server, a container): log, go on
            log.warning("OS alert failed: %s", type(exc).__name__)

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def dashboard_command(options: Sequence[str]) -> list[str]:
    """This tiri-tui's dashboard, with the agent's global options."""
    return [sys.executable, "-m", "tiri_tui", *options]
