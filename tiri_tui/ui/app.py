"""The Textual app: lifecycle, login and commands around the dashboard screen.

The dashboard (:mod:`tiri_tui.ui.dashboard`) has the layout and the actions;
the app opens the controller for the logged-in session, retires it when a
new login replaces it, asks for that login, and offers the commands.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib import import_module
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tiri_tui.attention.modes import AlertMode, describe_mode
from tiri_tui.connection.policy import StateCode
from tiri_tui.settings.config import security_warnings
from tiri_tui.sync.controller_api import Controller, MirroredController
from tiri_tui.sync.rules import Filters
from tiri_tui.ui.alerting import Alerting
from tiri_tui.ui.dashboard import DashboardScreen
from tiri_tui.ui.keymap import (
    KeyId,
    Scope,
    bindings,
    commands,
    described,
    help_rows,
    keymap_of,
    shown,
)
from tiri_tui.ui.painter import LoginNeeded
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.user_actions import UserActions
from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.text import one_line

if TYPE_CHECKING:
    from tiri_tui.attention.attention import Attention
    from tiri_tui.attention.delivery import Delivery
    from tiri_tui.attention.rules import AttentionRules
    from tiri_tui.client import TiriClient
    from tiri_tui.connection.acting import ActingApi
    from tiri_tui.settings.customisation import Customisation
    from tiri_tui.ui.screens import LoginRequested


class TiriApp(App[None]):
    """tiri-tui's dashboard."""

    TITLE = "tiri-tui"
    CSS_PATH = "tiri.tcss"
    BINDINGS = [
        *bindings(Scope.APP),
        # Before any screen's or text field's own ctrl+c (copy): see action_interrupt.
        Binding("ctrl+c", "interrupt", show=False, priority=True),
    ]

    def __init__(
        self,
        client: TiriClient | None = None,
        *,
        controller: Controller | None = None,
        prepared: Controller | None = None,
        demo_server: object | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        bell: bool = False,
        rules: AttentionRules | None = None,
        customisation: Customisation | None = None,
        alert_mode: AlertMode = AlertMode.OFF,
        delivery: Delivery | None = None,
        server_label: str | None = None,
        rows_settled: Callable[[], None] | None = None,
        first_frame: Callable[[], None] | None = None,
    ) -> None:
        """``controller``: one to show as it is (already started, or never).
        ``prepared``: the client's controller, opened early to read its cache
        while Textual starts (else it is opened here). ``rows_settled`` runs
        once the cache's rows are painted and again once the first load is
        (the entry point takes what is alive then out of the garbage
        collector's scans); ``first_frame`` runs once the first frame is drawn. ``alert_mode`` (resolved,
        not ``auto``) raises desktop alerts through ``delivery`` (by default
        the terminal, or the desktop-notifier library); AlertsUnavailable if
        that cannot work here. ``customisation``: the user's keys, commands and
        links (KeymapError at once if a key is unknown or does two things)."""
        super().__init__()
        self._first_frame = first_frame
        self.client = client
        self.controller = controller
        self.demo_server = demo_server
        self.clock = clock
        #: Opened before Textual starts, so its cache is read while Textual starts.
        self._prepared = prepared
        #: The agent went away for good: this run keeps its own connection.
        self._standalone = False
        if prepared is None and controller is None and client and client.auth.session:
            self._prepared = client.open_controller()
            self._prepared.prefetch_cache()
        label = server_label or (client.settings.server if client else "")
        self.alert_mode = alert_mode
        #: The e-mail of the last session: the login form offers it again.
        session = client.auth.session if client else None
        self._email = (session.email or "") if session else ""
        self.user_actions = UserActions(self, customisation)
        self.keymap = keymap_of(customisation)

        def build_alerting() -> tuple[Attention, Delivery]:
            # Imported here: not on the way to the first painted row.
            from tiri_tui.attention.attention import Attention
            from tiri_tui.attention.delivery import delivery_for
            from tiri_tui.attention.rules import AttentionRules

            attention = Attention(
                rules or AttentionRules(),
                alerts=alert_mode is not AlertMode.OFF,
                alerts_ring=alert_mode is AlertMode.BELL,
                bell_on_urgent=bell,
                local_time=lambda: clock().astimezone().time(),
                clock=time.monotonic,
            )
            return attention, delivery or delivery_for(
                alert_mode, self.write_to_terminal, os.environ
            )

        alerting = Alerting(build_alerting, ring=self._ring)
        if alert_mode is AlertMode.DESKTOP:
            alerting.attention  # noqa: B018 - built now: AlertsUnavailable must come at start
        self.dashboard = DashboardScreen(
            clock=clock,
            alerting=alerting,
            views=customisation.views if customisation else (),
            server_label=f"{label} (demo)" if demo_server is not None else label,
            rows_settled=rows_settled,
            keymap=self.keymap,
            acting=self._acting,
        )

    def _acting(self) -> ActingApi | None:
        """The calls that act on a notification, while a session is open."""
        if self.client is None or self.client.auth.session is None:
            return None
        from tiri_tui.connection.acting import ActingApi

        return ActingApi(self.client.api)

    def action_interrupt(self) -> None:
        """ctrl+c quits from every screen, as in every terminal tool. In a
        browser tab ctrl+c is how people copy: there it copies what is selected."""
        if self.is_web:
            self.screen.action_copy_text()
        else:
            self.exit()

    def write_to_terminal(self, sequence: str) -> None:
        """Raw output between frames (an alert's escape sequence); nothing when
        headless, or while an interactive command has the terminal."""
        if not self.is_headless and self._driver is not None and not self.user_actions.suspended:
            self._driver.write(sequence)

    def _ring(self) -> None:
        if not self.user_actions.suspended:
            self.bell()

    def on_app_focus(self, event: events.AppFocus) -> None:
        self.dashboard.alerting.attention.focus_changed(True)

    def on_app_blur(self, event: events.AppBlur) -> None:
        self.dashboard.alerting.attention.focus_changed(False)

    def get_default_screen(self) -> Screen[None]:
        return self.dashboard

    def on_mount(self) -> None:
        if self._first_frame is not None:
            self.call_after_refresh(self._first_frame)
        if self.keymap:  # else nothing to change (and no footer rebuilt before the first paint)
            self.set_keymap(self.keymap)
        for index, command in enumerate(self.user_actions.commands):
            self.bind(command.key, f"run_command({index})", description=command.name, show=False)
        if self.client is not None:
            for warning in security_warnings(self.client.settings):
                self.notify(warning, title="Warning", severity="warning", timeout=15, markup=False)
        if self.controller is not None:
            self.dashboard.bind(self.controller)
        elif self.client is not None and self.client.auth.session is not None:
            self._open_and_start()
        else:
            self._ask_to_log_in()

    async def on_unmount(self) -> None:
        # The client closes a controller it opened; the agent's list is this
        # app's to let go (the agent then forgets this face at once).
        if isinstance(self.controller, MirroredController):
            await self.controller.aclose()

    # -- the controller's lifecycle ----------------------------------------------------------
    @work(exclusive=True, group="controller")
    async def _open_and_start(self) -> None:
        assert self.client is not None
        filters = Filters()
        retired = self.controller is not None
        if self.controller is not None:
            # A new login after the session ended: retire the old controller
            # first; the filters in force go on with the new one.
            old, self.controller = self.controller, None
            filters = old.filters
            self.dashboard.unbind()
            await old.aclose()
        from tiri_tui.ui.attaching import open_controller

        controller = self._prepared or await open_controller(
            self.client, attach=not self._standalone, after_login=retired
        )
        self._prepared = None
        self.controller = controller
        if isinstance(controller, MirroredController):
            controller.on_abandoned = self._agent_gone
        if self.client.auth.session is not None:
            self._email = self.client.auth.session.email or self._email
        self.dashboard.bind(controller)
        await controller.show_cached()
        if filters.active:
            controller.set_filters(filters)
        # Connect once the cached rows are on screen: the network's start-up
        # (its imports, the first request) would otherwise delay that paint.
        self.call_after_refresh(self._go_live, controller)

    def _agent_gone(self) -> None:
        """The agent did not come back: this dashboard opens its own connection
        (the intents the agent never got are in the outbox it opens)."""
        self._standalone = True
        self.notify(
            "The agent went away: this dashboard now keeps its own connection",
            severity="warning",
            timeout=10,
            markup=False,
        )
        self._open_and_start()

    @work(group="go-live")
    async def _go_live(self, controller: Controller) -> None:
        from tiri_tui.client import import_network_modules

        await asyncio.to_thread(import_network_modules)
        # The alerts' modules too, off the loop: the first arrival needs them.
        await asyncio.to_thread(import_module, "tiri_tui.attention.attention")
        await asyncio.to_thread(import_module, "tiri_tui.attention.delivery")
        if controller is self.controller:  # not retired by a new login meanwhile
            controller.go_live()
            self.run_worker(self._follow_preferences(controller), group="prefs", exclusive=True)
        if self.client is not None:
            top = self.dashboard.query_one(TopBar)
            self.dashboard.do_not_disturb.follow(self.client.settings.data_dir, top.redraw)
            if controller is self.controller and self.client.auth.session is not None:
                self.dashboard.snoozing.follow(self.client.snooze_path())
        if (
            self.client is not None
            and not self.client.settings.no_agent
            and not isinstance(controller, MirroredController)
        ):
            await asyncio.to_thread(import_module, "tiri_tui.agent.link")  # off the loop too
            from tiri_tui.agent.endpoint import agent_socket
            from tiri_tui.agent.link import stay_present

            # The profile's agent (if one runs) leaves the alerts to this dashboard.
            path = agent_socket(self.client.settings)
            if path is not None:
                self.run_worker(stay_present(path, "dashboard"), group="agent", exclusive=True)

    async def _follow_preferences(self, controller: Controller) -> None:
        """The server's quiet hours (shared with the phone) in force when
        config.toml sets none; a server that keeps none is said once."""
        from tiri_tui.settings.server_preferences import KnownPreferences, follow_server_preferences

        if self.client is None or self.client.auth.session is None:
            return
        path = self.client.known_preferences_path()
        attention = self.dashboard.alerting.attention

        def use(known: KnownPreferences | None) -> None:
            attention.use_server_quiet_hours(known.quiet if known and known.offered else None)

        def missing() -> None:
            self.dashboard.say(
                "This server keeps no notification preferences: quiet hours come from "
                "config.toml alone",
                "information",
            )

        await follow_server_preferences(
            controller.preferences, path, use, missing, alive=lambda: controller is self.controller
        )

    # -- login --------------------------------------------------------------------------
    @on(LoginNeeded)
    def _ask_to_log_in(self) -> None:
        from tiri_tui.ui.screens import LoginScreen  # the modal screens load when first used

        if self.client is None or isinstance(self.screen, LoginScreen):
            return
        controller = self.controller
        why = ""
        if controller is not None and controller.code is StateCode.SESSION_EXPIRED:
            why = "The session ended (the server would not renew it)."
        elif controller is not None and controller.needs_login:
            why = f"The session ended ({one_line(controller.reason, 80)}): log in again."
        form = LoginScreen(
            self.client.settings.server,
            why=why,
            email=self._email,
            reopen_key=self.dashboard.key(KeyId.LOG_IN),
            browsable=controller is not None,
        )
        self.dashboard.login_form_open(True)
        # Called only when the form is closed without a login (a login pops it).
        self.push_screen(form, lambda _: self.dashboard.login_form_open(False))

    def on_login_requested(self, message: LoginRequested) -> None:
        """The login form was submitted (a handler by name: the form's module loads with it)."""
        self._do_login(message.email, message.password)

    @work(exclusive=True, group="login")
    async def _do_login(self, email: str, password: str) -> None:
        from tiri_tui.ui.screens import LoginScreen

        assert self.client is not None
        try:
            await self.client.auth.login(email, password)
        except TiriError as exc:
            if isinstance(self.screen, LoginScreen):
                self.screen.failed(str(exc))
            return
        if isinstance(self.screen, LoginScreen):
            self.pop_screen()
        self._open_and_start()

    # -- help and commands -------------------------------------------------------------------
    def action_help(self) -> None:
        from tiri_tui.ui.screens import HelpScreen

        attention = self.dashboard.alerting.attention
        alerts = [describe_mode(self.alert_mode, os.environ), *attention.rules.describe()]
        if attention.rules.quiet_hours is None and attention.server_quiet_hours is not None:
            alerts[1] = (
                f"quiet hours: {attention.server_quiet_hours} "
                "(the server's preferences, shared with the phone)"
            )
        silence = attention.do_not_disturb
        if attention.silenced and silence is not None:
            key = self.dashboard.key(KeyId.DO_NOT_DISTURB)
            left = silence.left(time.time()) + ("" if silence.until is None else " left")
            alerts.insert(2, f"do not disturb: on, {left} ({key} turns it off)")
        commands = [(c.key, c.name) for c in self.user_actions.commands]
        self.push_screen(HelpScreen(alerts, help_rows(self.keymap) + commands, self.keymap))

    # -- your commands and links ---------------------------------------------------------------
    def action_run_command(self, index: int) -> None:
        commands = self.user_actions.commands
        current = self.dashboard.current
        if not 0 <= index < len(commands):
            return
        if current is None:
            self.dashboard.say("No notification selected")
            return
        self.run_worker(self.user_actions.run(commands[index], current), group="commands")

    def action_open_link(self) -> None:
        current = self.dashboard.current
        if current is None:
            self.dashboard.say("No notification selected")
        else:
            self.run_worker(self.user_actions.open_link(current), group="links")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Textual's own "Keys" panel would be a second entry called Keys beside
        # our help (which has every key, and the legend).
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        for key in commands():
            assert key.command is not None
            yield SystemCommand(
                key.command,
                f"{described(key, self.keymap)} ({shown(key, self.keymap)})",
                lambda action=key.action: self.call_later(self.dashboard.run_action, action),
            )
        for index, view in enumerate(self.dashboard.views, 1):
            yield SystemCommand(
                f"View: {one_line(view.name, 30)}",
                "show this saved view",
                lambda index=index: self.dashboard.action_switch_view(index),
            )
        for index, command in enumerate(self.user_actions.commands):
            yield SystemCommand(
                command.name,
                f"your command ({command.key}): {command.run}",
                lambda index=index: self.action_run_command(index),
            )
        yield SystemCommand("Keys", "Every key, and what the rows show", self.action_help)
