"""Regenerate the README screenshots from the app itself, against the embedded demo server.

    python screenshots/generate.py

Writes SVGs here, and PNGs too when ``rsvg-convert`` is installed
(Debian: ``apt-get install librsvg2-bin``).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tiri_tui.client import TiriClient  # noqa: E402
from tiri_tui.connection.policy import ConnectionState, PolicySettings  # noqa: E402
from tiri_tui.connection.realtime import RealtimeSettings  # noqa: E402
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD, DemoServer  # noqa: E402
from tiri_tui.settings.config import Settings  # noqa: E402
from tiri_tui.settings.customisation import Customisation, SavedView  # noqa: E402
from tiri_tui.sync.controller import ControllerSettings  # noqa: E402
from tiri_tui.sync.rules import Filters  # noqa: E402
from tiri_tui.ui.app import TiriApp  # noqa: E402
from tiri_tui.ui.notification_list import NotificationList  # noqa: E402
from tiri_tui.ui.view_tabs import ViewTabs  # noqa: E402

VIEWS = Customisation(
    views=(
        SavedView("urgent", Filters(unread_only=True, priority="urgent")),
        SavedView("chat", Filters(types=frozenset({"new_message", "chat_room_created"}))),
        SavedView("requests", Filters(types=frozenset({"request_accepted", "new_nearby_request"}))),
    )
)

SIZE = (120, 32)


async def until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not reach the expected state")
        await asyncio.sleep(0.02)


def save(app: TiriApp, name: str) -> Path:
    svg = ROOT / f"{name}.svg"
    app.save_screenshot(filename=svg.name, path=str(ROOT))
    converter = shutil.which("rsvg-convert")
    if converter:
        # rsvg drops leading no-break spaces: give it plain spaces it must preserve.
        text = svg.read_text("utf-8").replace("&#160;", " ")
        text = re.sub(r"<svg ", '<svg xml:space="preserve" ', text, count=1)
        with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False) as fixed:
            fixed.write(text)
        subprocess.run([converter, fixed.name, "-o", str(svg.with_suffix(".png"))], check=True)
        Path(fixed.name).unlink()
    return svg


async def main() -> None:
    server = DemoServer(port=0, seed_count=50)
    await server.start()
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(server=server.url, home=Path(home), namespace="demo")
        client = TiriClient(
            settings,
            realtime=RealtimeSettings(policy=PolicySettings(base_delay=8, max_delay=30)),
            controller=ControllerSettings(fallback_interval=60),
        )
        await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        app = TiriApp(client, demo_server=server, bell=False)
        async with app.run_test(size=SIZE) as pilot:
            await until(
                lambda: (
                    app.controller is not None and app.controller.state is ConnectionState.CONNECTED
                )
            )
            await until(lambda: len(app.controller.inbox) >= 40)
            await server.create_notification(
                title="Approval Needed",
                priority="urgent",
                notification_type="approval_request",
                message="Priya asks to join the team at the clinic",
            )
            await pilot.pause(0.6)  # the metrics line refreshes twice a second
            app.clear_notifications()
            await pilot.pause()
            save(app, "main-connected")

            await pilot.press("j", "j", "enter")
            await pilot.pause(0.3)
            app.clear_notifications()
            save(app, "detail-pane")
            await pilot.press("enter")

            await pilot.press("question_mark")
            await pilot.pause()
            save(app, "help")
            await pilot.press("escape")

            await pilot.press("slash", *"clinic", "enter")
            await until(lambda: app.controller.filters.search == "clinic")
            await until(lambda: not app.controller.filtered_here)
            await pilot.pause(0.3)
            save(app, "filter-bar")
            await pilot.press("slash", *"zzzz", "enter")
            await until(lambda: not len(app.controller.inbox))
            await until(lambda: not app.controller.filtered_here)
            await pilot.pause(0.3)
            save(app, "empty-state")
            await pilot.press("escape")
            await until(lambda: not app.controller.filters.active)

            await server.stop()
            await until(
                lambda: (
                    app.controller.state is ConnectionState.RECONNECTING and app.controller.retry_in
                )
            )
            await pilot.pause(0.3)
            save(app, "reconnecting")

            await server.start()
            app.controller.reconnect()
            await until(lambda: app.controller.state is ConnectionState.CONNECTED)
            await server.close_sockets(DEMO_EMAIL, 4003, "forbidden")
            await until(lambda: app.controller.state is ConnectionState.ERROR)
            await pilot.pause(0.3)
            app.clear_notifications()
            await pilot.pause()
            save(app, "error")
        await client.aclose()
        await views_days_marks(server, settings)
        await acting(server, settings)
        for size in (SIZE, (80, 24)):
            await snooze_and_quiet(server, settings, size)
    await server.stop()
    print(f"screenshots written to {ROOT}")


async def views_days_marks(server: DemoServer, settings: Settings) -> None:
    """Tabs with their counts, day headers, and three marked rows."""
    client = TiriClient(settings, controller=ControllerSettings(fallback_interval=60))
    await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(client, demo_server=server, bell=False, customisation=VIEWS)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.controller is not None and app.controller.loaded.is_set())
        tabs = app.screen.query_one(ViewTabs)
        await until(lambda: all(label.count(" ") >= 2 for label in tabs.labels()))
        view = app.query_one(NotificationList)
        # Down to the first day boundary, so "Yesterday" is in sight.
        boundary = view.days.starts[1] if len(view.days.starts) > 1 else 5
        view.move_to(max(0, boundary - 3))
        await pilot.pause()
        for _ in range(3):
            await pilot.press("space")
        await pilot.pause(0.3)
        app.clear_notifications()
        await pilot.pause()
        save(app, "views-days-marks")
    await client.aclose()


async def acting(server: DemoServer, settings: Settings) -> None:
    """``a`` on a volunteer's offer: the actions; then a chat's conversation."""
    from tiri_tui.ui.acting_screens import ActionsScreen, ConversationScreen

    client = TiriClient(settings, controller=ControllerSettings(fallback_interval=60))
    await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(client, demo_server=server, bell=False)
    me = server.user().id
    request = next(
        r
        for r in server.world.requests.values()
        if r.requester.id == me and any(v.status == "pending" for v in r.volunteers)
    )
    room = next(iter(server.world.rooms.values()))
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.controller is not None and app.controller.loaded.is_set())
        partner = room.members[1].full_name.split()[0]
        applicant = next(v for v in request.volunteers if v.status == "pending").volunteer
        for fields in (
            {
                "notification_type": "new_message",
                "title": "New Message",
                "created_by_name": partner,
                "message": f"{partner}: {room.messages[-2]['content']}",
                "extra_data": {"chat_room_id": room.id},
            },
            {
                "notification_type": "request_accepted",
                "title": "Request Accepted",
                "created_by_name": applicant.full_name.split()[0],
                "message": f"{applicant.full_name} offered to help with “{request.title}”",
                "extra_data": {"request_id": request.id, "volunteer_id": applicant.id},
            },
        ):
            await server.create_notification(**fields)
        view = app.query_one(NotificationList)
        await until(lambda: view.source[0].notification_type == "request_accepted")
        await pilot.press("g", "a")
        await until(lambda: isinstance(app.screen, ActionsScreen) and app.screen.menu is not None)
        await pilot.pause(0.3)
        app.clear_notifications()
        save(app, "actions-menu")
        await pilot.press("escape", "j", "a")
        await until(lambda: isinstance(app.screen, ActionsScreen) and app.screen.menu is not None)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConversationScreen) and app.screen.pages)
        await pilot.press(*"See you at 10, I'll bring gloves")
        await pilot.pause(0.3)
        save(app, "conversation")
    await client.aclose()


async def snooze_and_quiet(server: DemoServer, settings: Settings, size: tuple[int, int]) -> None:
    """b with a time typed in; B, what is snoozed; one back on top; Z, do not disturb."""
    from tiri_tui.sync.snooze_store import SnoozeStore
    from tiri_tui.ui.do_not_disturb_screen import DoNotDisturbScreen
    from tiri_tui.ui.snooze_screen import SnoozeScreen
    from tiri_tui.ui.snoozed_screen import SnoozedScreen

    suffix = "" if size == SIZE else f"-{size[0]}x{size[1]}"
    client = TiriClient(settings, controller=ControllerSettings(fallback_interval=60))
    await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    app = TiriApp(client, demo_server=server, bell=False)
    async with app.run_test(size=size) as pilot:
        await until(lambda: app.controller is not None and app.controller.loaded.is_set())
        await until(lambda: app.dashboard.snoozing.book is not None)
        view = app.query_one(NotificationList)
        await pilot.press("j", "b")
        await until(lambda: isinstance(app.screen, SnoozeScreen))
        await pilot.press("tab", *"tomorrow 9:00")
        await until(lambda: "→" in str(app.screen.query_one("#snooze-understood").render()))
        save(app, f"snooze-question{suffix}")
        await pilot.press("enter")
        await pilot.press("j", "j", "b", "down", "enter")
        await until(lambda: len(app.dashboard.snoozing.book.away) == 2)
        await pilot.press("B")
        await until(lambda: isinstance(app.screen, SnoozedScreen))
        await pilot.pause(0.3)
        app.clear_notifications()
        save(app, f"snoozed-view{suffix}")
        await pilot.press("escape")
        # One due, snoozed yesterday from further down: back, unread, on top.
        old = view.source[12]
        SnoozeStore(client.snooze_path()).snooze(old, time.time() - 1)
        await until(lambda: view.source[0].id == old.id)
        await pilot.press("g", "Z")
        await until(lambda: isinstance(app.screen, DoNotDisturbScreen))
        await pilot.press("down", "enter")  # for an hour
        await until(lambda: "dnd" in app.dashboard.do_not_disturb.header())
        await pilot.pause(0.3)
        app.clear_notifications()
        save(app, f"snooze-back-and-dnd{suffix}")
        await pilot.press("Z")  # off again
        for snooze in list(app.dashboard.snoozing.book.away.values()):
            SnoozeStore(client.snooze_path()).unsnooze(snooze.id)
    await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
