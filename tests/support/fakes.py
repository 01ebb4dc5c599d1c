"""A controller with no network, for deterministic UI snapshots and the 100k-row test.

The REST client answers "unreachable" and the worker never connects; tests
feed data and states straight into the real controller.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tiri_tui.connection.policy import ConnectionState
from tiri_tui.connection.realtime import RealtimeEvent, StateChanged
from tiri_tui.sync.controller import NotificationController
from tiri_tui.sync.store import NotificationCache, Outbox
from tiri_tui.wire.errors import NotConnected, ServerUnreachable
from tiri_tui.wire.models import Notification, encode_extra

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class UnreachableApi:
    """Every REST call fails as if the network were down."""

    mark_all_route = None

    def paused_for(self) -> float:
        return 0.0  # never rate limited

    def when_login_required(self, watcher: Callable[[], None]) -> Callable[[], None]:
        return lambda: None  # no call here ever needs a login

    def __getattr__(self, name: str):
        async def unreachable(*args, **kwargs):
            raise ServerUnreachable("cannot reach the server (test)")

        return unreachable


class ScriptedWorker:
    """Stands in for RealtimeWorker; the test decides the state."""

    def __init__(self, on_event: Callable[[RealtimeEvent], None]) -> None:
        self.on_event = on_event
        self.state = ConnectionState.DISCONNECTED
        self.reconnects = 0
        self.frames_dropped = 0

    def emit_state(
        self, state: ConnectionState, reason: str, retry_in: float | None = None
    ) -> None:
        self.state = state
        self.on_event(StateChanged(state, reason, retry_in, 0))

    def start(self) -> None: ...
    def disconnect(self) -> None: ...

    def reconnect(self) -> None:
        self.reconnects += 1

    async def send(self, frame) -> None:
        raise NotConnected()

    async def aclose(self) -> None: ...

    def live_tasks(self) -> int:
        return 0


TEMPLATES = [
    (
        "request_accepted",
        "normal",
        "Request Accepted",
        "John accepted your request at the food bank",
    ),
    (
        "approval_request",
        "urgent",
        "Approval Needed",
        "Amara asks to join the team at Riverside Park",
    ),
    ("new_message", "normal", "New Message", "Lena: are we still on for the library?"),
    ("volunteer_cancelled", "high", "Volunteer Cancelled", "Kofi can no longer help at the clinic"),
    ("volunteer_checked_in", "low", "Volunteer Checked In", "Mei checked in at St. Anne's shelter"),
    ("feedback_requested", "low", "Feedback Requested", "How did it go with Diego?"),
]


def sample(count: int, *, start: datetime = NOW) -> list[Notification]:
    """``count`` deterministic notifications, newest first, every third one read."""
    out = []
    for i in range(count):
        kind, priority, title, message = TEMPLATES[i % len(TEMPLATES)]
        created = start - timedelta(minutes=7 * i + 1)
        out.append(
            Notification(
                id=f"n{i:06d}",
                title=title,
                message=message,
                is_read=i % 3 == 2,
                created_at=created,
                notification_type=kind,
                priority=priority,
                created_by_name="John",
                extra_json=encode_extra({"request_id": f"req-{1000 + i}"}),
                read_at=created + timedelta(minutes=3) if i % 3 == 2 else None,
            )
        )
    return out


def offline_controller(
    outbox_dir: Path | None = None,
    cache: NotificationCache | None = None,
    api: object | None = None,
) -> NotificationController:
    """A real controller wired to the fakes above (``api``: another fake REST client)."""
    api = api or UnreachableApi()
    outbox = Outbox(Path(":memory:") if outbox_dir is None else outbox_dir / "outbox.sqlite3")
    return NotificationController(api, ScriptedWorker, outbox, cache)  # type: ignore[arg-type]


def notifications(count: int, spacing: timedelta = timedelta(seconds=1)) -> list[Notification]:
    """``count`` distinct notifications, ``spacing`` apart, parsed from wire dicts as a
    server would send them."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = ("request_accepted", "new_message", "approval_request", "volunteer_cancelled")
    return [
        Notification.from_dict(
            {
                "id": f"{i:08d}-5a6b-4b58-9a3e-2f1d5f0c9b11",
                "title": f"Request Accepted #{i}",
                "message": f"Volunteer {i} accepted your request at the food bank",
                "is_read": i % 3 == 0,
                "created_at": (base - spacing * i).isoformat(),
                "notification_type": kinds[i % 4],
                "priority": "urgent" if i % 17 == 0 else "normal",
                "read_at": None,
                "created_by_name": "John",
                "extra_data": {"request_id": f"req-{i}"},
            }
        )
        for i in range(count)
    ]
