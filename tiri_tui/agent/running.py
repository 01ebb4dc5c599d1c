"""Running the agent: the profile's lock, the endpoint, the controller, until stopped.

:func:`prepare` does the blocking part (the private directory, the lock)
before the event loop starts; :func:`serve` runs until Ctrl+C, SIGTERM or an
``agent stop``. When the session ends (the refresh token refused) the agent
stays: the faces are told (they exit 2 saying how to log in, as they would
alone), and a new `tiri-tui login` is picked up without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tiri_tui.agent.endpoint import (
    ProfileLock,
    check_length,
    lock_path,
    private_dir,
    profile_name,
    runtime_dir,
    socket_path,
)
from tiri_tui.agent.on_arrival import ArrivalCommands
from tiri_tui.agent.os_alerts import (
    DesktopNotifier,
    Notifier,
    OsAlerts,
    dashboard_command,
    open_command,
)
from tiri_tui.agent.service import AgentService
from tiri_tui.attention.attention import Attention
from tiri_tui.attention.modes import AlertMode
from tiri_tui.attention.rules import AttentionRules
from tiri_tui.client import TiriClient
from tiri_tui.settings.config import Settings
from tiri_tui.settings.do_not_disturb_file import follow_state, state_path
from tiri_tui.settings.server_preferences import KnownPreferences, follow_server_preferences
from tiri_tui.sync.controller import NotificationController
from tiri_tui.sync.snooze_follow import SnoozeFollower
from tiri_tui.sync.snooze_store import SnoozeStore
from tiri_tui.sync.snoozes import Snooze
from tiri_tui.wire.errors import NotLoggedIn
from tiri_tui.wire.models import Notification

log = logging.getLogger(__name__)

#: How often an agent whose session ended looks for a new login.
LOGIN_POLL = 2.0


def prepare(settings: Settings) -> tuple[Path, ProfileLock]:
    """The socket's path and the profile's lock, held (EndpointError,
    AgentRunning). Blocking: call it before the loop, or on a thread."""
    private_dir(runtime_dir(settings))
    path = socket_path(settings)
    check_length(path)
    lock = ProfileLock(lock_path(settings), profile_name(settings))
    lock.acquire()
    return path, lock


async def serve(
    settings: Settings,
    path: Path,
    *,
    stop: asyncio.Event,
    make_client: Callable[[Settings], TiriClient] = TiriClient,
    allowed_uid: int | None = None,
    on_news: Callable[[Notification], None] | None = None,
    ready: Callable[[AgentService], None] | None = None,
    notifier: Notifier | None = None,
    options: Sequence[str] = (),
) -> int:
    """Serve the profile until ``stop`` is set or a face asks the agent to
    stop; NotLoggedIn if there is no session to start with."""
    uid = os.getuid() if allowed_uid is None else allowed_uid
    commands = ArrivalCommands(settings.attention or AttentionRules())
    if notifier is None and settings.desktop_alerts is not AlertMode.OFF:
        notifier = DesktopNotifier.create()
    opener = open_command(settings.open_command, dashboard_command(options), os.environ)
    alerting = Alerting(settings, notifier, opener)
    try:
        while await _serve_one_login(
            settings, path, stop, make_client, uid, commands, alerting, on_news, ready
        ):
            pass
    finally:
        await commands.aclose()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return 0


async def _serve_one_login(
    settings: Settings,
    path: Path,
    stop: asyncio.Event,
    make_client: Callable[[Settings], TiriClient],
    uid: int,
    commands: ArrivalCommands,
    alerting: Alerting,
    on_news: Callable[[Notification], None] | None,
    ready: Callable[[AgentService], None] | None,
) -> bool:
    """Serve one session; True when it ended and a new login came (serve that one)."""
    client = await asyncio.to_thread(make_client, settings)  # it reads the stored session
    session = client.auth.session
    if session is None:
        await client.aclose()
        raise NotLoggedIn(settings.server)

    def news(n: Notification) -> None:
        commands.arrived(n)
        if alerts is not None:
            alerts.arrived(n)
        if on_news is not None:
            on_news(n)

    alerts: OsAlerts | None = None
    try:
        controller = client.open_controller()
        service = AgentService(
            controller,
            profile=profile_name(settings),
            server=settings.server,
            account=session.email or "",
            allowed_uid=uid,
            on_news=news,
            alerts_in_force=lambda: {} if alerts is None else alerts.in_force(),
        )
        alerts = alerting.for_session(controller, service)
        following: list[asyncio.Task[None]] = []
        await service.listen(path)
        try:
            following = [_follow_snoozes(client, controller, service, news)]
            if alerts is not None:
                following += _follow(settings, client, controller, alerts)
            if ready is not None:
                ready(service)
            await controller.start()
            asked = service.stop.wait()
            if (
                await _first(stop=stop.wait(), asked=asked, ended=_login_ended(controller))
                != "ended"
            ):
                return False
            # The faces are told (they exit 2 as they would alone); the agent
            # keeps answering that a login is needed until one comes.
            log.warning("the session ended: waiting for `tiri-tui login`")
            print(
                "tiri-tui agent: the session ended; waiting for `tiri-tui login`", file=sys.stderr
            )
            # A session refused with its tokens still stored (the server refuses
            # even a fresh access token) is not a new login: wait for another.
            ended = client.auth.session.refresh if client.auth.session else None
            login = _new_login(settings, make_client, ended)
            return await _first(stop=stop.wait(), asked=service.stop.wait(), login=login) == "login"
        finally:
            for task in following:
                task.cancel()
            await asyncio.gather(*following, return_exceptions=True)
            await service.aclose()
            if alerts is not None:
                await alerts.aclose()
    finally:
        await client.aclose()


def _follow(
    settings: Settings, client: TiriClient, controller: NotificationController, alerts: OsAlerts
) -> list[asyncio.Task[None]]:
    """The OS alerts kept in what the person asked elsewhere: the server's quiet
    hours when config.toml sets none (read again every few minutes: a change
    on the phone is followed), and the machine's do not disturb."""

    def use(known: KnownPreferences | None) -> None:
        alerts.attention.use_server_quiet_hours(known.quiet if known and known.offered else None)

    def missing() -> None:
        log.warning("this server keeps no notification preferences: quiet hours from config.toml")

    work = follow_server_preferences(
        controller.preferences, client.known_preferences_path(), use, missing
    )
    silence = follow_state(
        state_path(settings.data_dir),
        alerts.attention,
        changed=lambda _s: None,
        over=alerts.caught_up,
    )
    return [
        asyncio.create_task(work, name="tiri-agent-preferences"),
        asyncio.create_task(silence, name="tiri-agent-do-not-disturb"),
    ]


def _follow_snoozes(
    client: TiriClient,
    controller: NotificationController,
    service: AgentService,
    news: Callable[[Notification], None],
) -> asyncio.Task[None]:
    """The account's snoozes: a row back is held (a face's mark on it reaches
    the server), and one due while no dashboard is open is brought back here —
    marked unread, and told as news (the alerts, the commands on arrival)."""

    def returned(snooze: Snooze, claimed: bool) -> None:
        controller.keep_back(snooze.notification)
        if not claimed:
            return
        n = controller.held.get(snooze.id) or snooze.notification
        if n.is_read:
            controller.mark_unread(n.id)
        news(n.with_read(False) if n.is_read else n)

    follower = SnoozeFollower(
        SnoozeStore(client.snooze_path()),
        told=lambda _book: None,
        returned=returned,
        claims=lambda: not service.dashboards_open(),
    )
    return asyncio.create_task(follower.follow(), name="tiri-agent-snoozes")


class Alerting:
    """What the agent's OS alerts are made of, kept across sessions."""

    def __init__(
        self, settings: Settings, notifier: Notifier | None, opener: list[str] | None
    ) -> None:
        self.settings = settings
        self.notifier = notifier
        self.opener = opener

    def for_session(
        self, controller: NotificationController, service: AgentService
    ) -> OsAlerts | None:
        """The alerts of one session (None: no way to raise them)."""
        if self.notifier is None:
            return None
        attention = Attention(
            self.settings.attention or AttentionRules(),
            alerts=True,
            alerts_ring=False,
            bell_on_urgent=False,
            local_time=lambda: datetime.now().astimezone().time(),
            clock=time.monotonic,
        )
        return OsAlerts(
            attention,
            self.notifier,
            mark_read=controller.mark_read,
            opener=self.opener,
            dashboards_open=service.dashboards_open,
            clock=time.monotonic,
            held=lambda: controller.held,
        )


async def _login_ended(controller: NotificationController) -> None:
    ended = asyncio.Event()
    unsubscribe = controller.subscribe(lambda _e: ended.set() if controller.needs_login else None)
    try:
        await ended.wait()
    finally:
        unsubscribe()


async def _first(**works: Coroutine[Any, Any, object]) -> str:
    """The name of the first of ``works`` to end (the others are cancelled)."""
    tasks = {asyncio.ensure_future(work): name for name, work in works.items()}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return tasks[next(iter(done))]


async def _new_login(
    settings: Settings, make_client: Callable[[Settings], TiriClient], ended: str | None
) -> None:
    """Until the store holds a session other than the one that ended (``ended``:
    its refresh token)."""
    while True:
        probe = await asyncio.to_thread(make_client, settings)
        session = probe.auth.session
        found = session is not None and session.refresh != ended
        await probe.aclose()
        if found:
            return
        await asyncio.sleep(LOGIN_POLL)
