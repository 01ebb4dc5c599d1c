"""Putting an alert in front of the person: escape sequences, the bell, or the OS's notifications."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from tiri_tui.attention.batching import Alert
from tiri_tui.attention.modes import AlertMode
from tiri_tui.attention.sequences import (
    BEL,
    BODY_WIDTH,
    TITLE_WIDTH,
    osc9,
    osc99,
    osc777,
    tmux_passthrough,
)
from tiri_tui.wire.errors import AlertsUnavailable
from tiri_tui.wire.text import bare

log = logging.getLogger(__name__)

_SEQUENCES: dict[AlertMode, Callable[[str, str], str]] = {
    AlertMode.OSC9: osc9,
    AlertMode.OSC777: osc777,
    AlertMode.OSC99: osc99,
}
#: A freedesktop notification server may read its body as markup (links,
#: images): nothing in an alert may form a tag or an entity.
_NO_MARKUP = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


class Delivery(Protocol):
    """Sends alerts one way."""

    def send(self, alert: Alert) -> None:
        """Raise ``alert`` now."""


class TerminalAlerts:
    """An OSC sequence (or the bell) written to the terminal, wrapped for tmux inside tmux."""

    def __init__(self, mode: AlertMode, write: Callable[[str], None], *, in_tmux: bool) -> None:
        self._build = _SEQUENCES.get(mode)
        self._write = write
        self._in_tmux = in_tmux

    def send(self, alert: Alert) -> None:
        if self._build is None:  # the bell: tmux shows it itself, no passthrough needed
            self._write(BEL)
            return
        sequence = self._build(alert.title, alert.body)
        self._write(tmux_passthrough(sequence) if self._in_tmux else sequence)


class DesktopAlerts:
    """The OS's notification service through the ``desktop-notifier`` library."""

    def __init__(self, notifier: Any) -> None:
        self._notifier = notifier
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def create(cls) -> DesktopAlerts:
        """With the library's notifier; AlertsUnavailable if the extra is not installed."""
        try:
            from desktop_notifier import DesktopNotifier
        except ImportError:
            raise AlertsUnavailable(
                "desktop alerts need the optional extra: pip install 'tiri-tui[desktop]' "
                "(or choose --alerts osc9, osc777, osc99 or bell)"
            ) from None
        return cls(DesktopNotifier(app_name="tiri-tui"))

    def send(self, alert: Alert) -> None:
        title = bare(alert.title, TITLE_WIDTH).translate(_NO_MARKUP)
        body = bare(alert.body, BODY_WIDTH).translate(_NO_MARKUP)
        task = asyncio.ensure_future(self._send(title, body))
        self._tasks.add(task)  # held until done: a task nobody holds may be collected
        task.add_done_callback(self._tasks.discard)

    async def _send(self, title: str, body: str) -> None:
        try:
            await self._notifier.send(title=title, message=body)
        except Exception as exc:  # a desktop without a notification service: log, go on
            log.warning("desktop alert failed: %s", type(exc).__name__)


class NoAlerts:
    """``off``: nothing."""

    def send(self, alert: Alert) -> None:
        return None


def delivery_for(mode: AlertMode, write: Callable[[str], None], env: Mapping[str, str]) -> Delivery:
    """The delivery for a resolved (not ``auto``) mode."""
    if mode is AlertMode.OFF:
        return NoAlerts()
    if mode is AlertMode.DESKTOP:
        return DesktopAlerts.create()
    return TerminalAlerts(mode, write, in_tmux=bool(env.get("TMUX")))
