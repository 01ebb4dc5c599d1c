"""The agent's OS alerts: raised when no dashboard is open, with buttons that
mark read and open the dashboard; none while a dashboard is open."""

from __future__ import annotations

import asyncio
import contextlib

from tests.support.agents import FakeNotifier, agent_in_process, settings_for
from tests.support.cli import login
from tests.support.waiting import wait_for
from tiri_tui.agent.endpoint import socket_path
from tiri_tui.agent.link import stay_present
from tiri_tui.settings.config import Settings


def is_read(server, nid: str) -> bool:
    return next(n for n in server.user().notifications if n["id"] == nid)["is_read"]


async def test_with_no_dashboard_open_the_agent_alerts_with_buttons_that_act(
    server, home, tmp_path
):
    assert (await login(server, home))[0] == 0
    opened = tmp_path / "opened"
    settings = Settings(server=server.url, home=home, open_command=f"touch '{opened}'")
    notifier = FakeNotifier()
    async with agent_in_process(server, home, settings=settings, notifier=notifier):
        created = await server.create_notification(
            title="<b>Help</b> & more", message="Can you drive?", priority="high"
        )
        await wait_for(lambda: notifier.sent, 5, what="an OS alert")
        title, body, buttons = notifier.sent[0]
        assert title == "Tiri"
        assert body.startswith("‹b›Help‹/b› ＆ more") and "Can you drive?" in body
        assert list(buttons) == ["Mark read", "Open"]
        buttons["Mark read"]()
        await wait_for(lambda: is_read(server, created["id"]), 5, what="marked read at the server")
        buttons["Open"]()
        await wait_for(opened.exists, 5, what="the open command run")


async def test_no_os_alert_while_a_dashboard_is_open(server, home):
    assert (await login(server, home))[0] == 0
    notifier = FakeNotifier()
    async with agent_in_process(server, home, notifier=notifier) as agent:
        present = asyncio.create_task(
            stay_present(socket_path(settings_for(server, home)), "dashboard", interval=0.05)
        )
        try:
            await wait_for(agent.dashboards_open, 5, what="the dashboard known to the agent")
            first = await server.create_notification(title="while the dashboard is open")
            await wait_for(lambda: first["id"] in agent.controller.held, 5, what="it arrived")
        finally:
            present.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await present
        await wait_for(lambda: not agent.dashboards_open(), 5, what="the dashboard gone")
        await server.create_notification(title="once it is closed")
        await wait_for(lambda: notifier.sent, 5, what="an OS alert")
    [(_, body, _)] = notifier.sent
    assert "once it is closed" in body and "new notifications" not in body  # that one alone
