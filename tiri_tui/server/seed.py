"""Realistic demo content: the seeded inbox and the live generator's notifications."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tiri_tui.server.state import ServerState, User, iso

DEMO_EMAIL = "demo@tiri.local"
DEMO_PASSWORD = "demo"

_PEOPLE = ("John", "Amara", "Lena", "Kofi", "Mei", "Diego", "Priya", "Tomás", "Hana", "Olu")
_PLACES = ("the food bank", "Riverside Park", "the library", "St. Anne's shelter", "the clinic")

# (type, priority weights, title, message template)
_TEMPLATES: tuple[tuple[str, str, str, str], ...] = (
    ("request_accepted", "normal", "Request Accepted", "{person} accepted your request at {place}"),
    (
        "volunteer_cancelled",
        "high",
        "Volunteer Cancelled",
        "{person} can no longer help at {place}",
    ),
    ("volunteer_checked_in", "low", "Volunteer Checked In", "{person} checked in at {place}"),
    ("new_nearby_request", "normal", "New Request Nearby", "Someone needs help at {place}"),
    ("new_message", "normal", "New Message", "{person}: are we still on for {place}?"),
    ("chat_room_created", "low", "Chat Created", "{person} started a chat about {place}"),
    ("feedback_requested", "low", "Feedback Requested", "How did it go with {person}?"),
    ("approval_request", "urgent", "Approval Needed", "{person} asks to join the team at {place}"),
    ("referral_approved", "normal", "Referral Approved", "Your referral of {person} was approved"),
    ("welcome_email", "low", "Welcome to Tiri", "Thanks for joining, {person}!"),
)


def make_notification_fields(rng: random.Random, created: datetime) -> dict[str, Any]:
    """The fields of one plausible notification created at ``created``."""
    kind, priority, title, template = rng.choice(_TEMPLATES)
    person = rng.choice(_PEOPLE)
    if rng.random() < 0.15:
        priority = rng.choice(("high", "urgent"))
    return {
        "title": title,
        "message": template.format(person=person, place=rng.choice(_PLACES)),
        "notification_type": kind,
        "notification_type_display": title,
        "priority": priority,
        "created_at": iso(created),
        "created_by_name": person,
        "extra_data": {"request_id": f"req-{rng.randrange(1000, 9999)}"},
    }


def seed_demo_user(state: ServerState, count: int = 50, seed: int = 7) -> User:
    """Create the demo account with ``count`` notifications spread over two weeks."""
    user = state.add_user(DEMO_EMAIL, DEMO_PASSWORD, first_name="Demo")
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for index in range(count):
        age = timedelta(minutes=(index + 1) * rng.randrange(5, 400))
        fields = make_notification_fields(rng, now - age)
        # Older ones are mostly read, as in a real inbox.
        if rng.random() < min(0.9, index / count + 0.2):
            fields["is_read"] = True
            fields["read_at"] = iso(now - age + timedelta(minutes=rng.randrange(1, 60)))
        state.create_notification(user, **fields)
    return user
