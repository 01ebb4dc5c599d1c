"""Realistic demo content: the seeded inbox, what it is about, and the live
generator's notifications.

Every notification points at something real in the server's :class:`World`
(its ``extra_data`` carries the ids, as the Tiri backend's do): a volunteer
who applied to one of the demo user's requests, a request nearby, a chat
room, a new member waiting for approval. So ``tiri-tui demo`` shows the
whole flow, from the notification to the action.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from tiri_tui.server.state import ServerState, User, iso
from tiri_tui.server.world import (
    Approval,
    ChatRoom,
    Person,
    ServiceRequest,
    VolunteerRequest,
    World,
)

DEMO_EMAIL = "demo@tiri.local"
DEMO_PASSWORD = "demo"
#: The second demo account: the other side of a conversation (a reply from
#: the demo user arrives there as a notification). Same password.
PARTNER_EMAIL = "priya@tiri.local"

_PEOPLE = ("John Mensah", "Amara Obi", "Lena Vogel", "Kofi Boateng", "Mei Tanaka", "Diego Ruiz")
_NEWCOMERS = ("Hana Sato", "Olu Adeyemi", "Tomás Silva", "Ines Costa", "Yusuf Kaya")
_PLACES = ("the food bank", "Riverside Park", "the library", "St. Anne's shelter", "the clinic")
_OWN = (
    ("Groceries for Mrs. Okafor", "Two bags from the market on Saturday morning."),
    ("Help moving boxes", "Ten boxes from the flat to the van, about an hour."),
    ("Lift to the clinic", "A ride there and back on Friday afternoon."),
)
_NEARBY = (
    ("Dog walking while I recover", "Bruno needs a 30-minute walk each evening this week."),
    ("Fix a leaking tap", "Kitchen tap drips; I have the washers, not the tools."),
    ("Read to the children", "An hour of stories at the library on Sunday."),
    ("Garden clean-up", "Raking leaves in the community garden, gloves provided."),
)
_OFFERS = (
    "I live two streets away and I'm free that morning.",
    "Happy to help — I have a car.",
    "I did this last month for my neighbour, glad to do it again.",
)
#: Kinds whose notification is someone new offering help on the user's request.
_APPLYING = frozenset({"request_accepted", "approval_request"})
_LINES = (
    "Are we still on for Saturday?",
    "I can bring the trolley.",
    "Thanks so much for organising this!",
    "Running ten minutes late, sorry.",
)


class Target(Enum):
    """What a notification of a kind points at."""

    OWN_REQUEST = "own"  # one of the demo user's requests (its volunteers)
    NEARBY = "nearby"  # a request nearby (offer to help)
    VOLUNTEERED = "volunteered"  # a request the demo user offered to help on
    ROOM = "room"  # a conversation
    APPROVAL = "approval"  # a new member by referral
    NOTHING = "nothing"


# (type, priority, title, message template, what it points at)
_TEMPLATES: tuple[tuple[str, str, str, str, Target], ...] = (
    ("request_accepted", "normal", "Request Accepted", "{person} offered to help with “{title}”",
     Target.OWN_REQUEST),
    ("approval_request", "urgent", "Approval Needed", "{person} asks to join “{title}”",
     Target.OWN_REQUEST),
    ("volunteer_cancelled", "high", "Volunteer Cancelled", "{person} can no longer help with “{title}”",
     Target.OWN_REQUEST),
    ("volunteer_checked_in", "low", "Volunteer Checked In", "{person} checked in for “{title}”",
     Target.OWN_REQUEST),
    ("feedback_requested", "low", "Feedback Requested", "How did “{title}” go? Mark it done",
     Target.OWN_REQUEST),
    ("new_nearby_request", "normal", "New Request Nearby", "{person} needs help: “{title}” at {place}",
     Target.NEARBY),
    ("request_updated", "normal", "Request Updated", "{person} moved “{title}” to tomorrow",
     Target.VOLUNTEERED),
    ("new_message", "normal", "New Message", "{person}: {line}", Target.ROOM),
    ("chat_room_created", "low", "Chat Created", "{person} started a chat with you", Target.ROOM),
    ("referral_code_used", "normal", "New Member", "{person} joined with your referral code",
     Target.APPROVAL),
    ("referral_approved", "normal", "Referral Approved", "Your referral of {person} was approved",
     Target.NOTHING),
    ("welcome_email", "low", "Welcome to Tiri", "Thanks for joining, {person}!", Target.NOTHING),
)  # fmt: skip


def seed_world(world: World, rng: random.Random, user: User, partner: User | None) -> None:
    """The demo user's requests with applicants, requests nearby (one already
    offered on), conversations (one with the partner account), new members."""
    me = world.person(user)
    people = [_fictional(world, i, name) for i, name in enumerate(_PEOPLE)]
    now = datetime.now(UTC)
    for index, (title, description) in enumerate(_OWN):
        request = ServiceRequest(
            f"req-{1001 + index}", title, description, me, rng.choice(_PLACES),
            iso(now + timedelta(days=index + 1)),
        )  # fmt: skip
        for applicant in rng.sample(people, 1 + index % 2):
            request.volunteers.append(
                VolunteerRequest(world.next_id(), applicant, rng.choice(_OFFERS))
            )
        world.requests[request.id] = request
    for index, (title, description) in enumerate(_NEARBY):
        request = ServiceRequest(
            f"req-{2001 + index}", title, description, rng.choice(people), rng.choice(_PLACES),
            iso(now + timedelta(days=index + 2)),
        )  # fmt: skip
        if index == 0:  # the one the demo user already offered on
            request.volunteers.append(
                VolunteerRequest(world.next_id(), me, "I walk mine there too.")
            )
        world.requests[request.id] = request
    others = [world.person(partner)] if partner is not None else []
    for index, other in enumerate([*others, *people[:2]]):
        room = ChatRoom(f"room-{index + 1}", (me, other))
        for turn in range(4):
            world.add_message(room, other if turn % 2 == 0 else me, _LINES[turn])
        world.rooms[room.id] = room
    for name in _NEWCOMERS[:2]:
        newcomer = Person(world.next_id(), name, name.split()[0].lower() + "@example.org")
        approval = Approval(world.next_id(), newcomer, user.id)
        world.approvals[approval.id] = approval


def make_notification_fields(
    rng: random.Random, created: datetime, world: World, user: User
) -> dict[str, Any]:
    """The fields of one plausible notification for ``user`` created at
    ``created``, pointing at something in ``world`` (made there when needed)."""
    kind, priority, title, template, target = rng.choice(_TEMPLATES)
    extra, words = _point_at(target, rng, world, user, applies=kind in _APPLYING)
    if rng.random() < 0.15:
        priority = rng.choice(("high", "urgent"))
    return {
        "title": title,
        "message": template.format(**words),
        "notification_type": kind,
        "notification_type_display": title,
        "priority": priority,
        "created_at": iso(created),
        "created_by_name": words["person"],
        "extra_data": extra,
    }


def _point_at(
    target: Target, rng: random.Random, world: World, user: User, *, applies: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``extra_data`` and the message's words for a notification about
    ``target`` (``applies``: someone new offers to help on the user's request,
    or joins with the user's referral code: the notification is their news)."""
    place = rng.choice(_PLACES)
    words = {"person": rng.choice(_PEOPLE).split()[0], "title": "", "place": place, "line": ""}
    if target in (Target.OWN_REQUEST, Target.NEARBY, Target.VOLUNTEERED):
        request = _request_for(target, rng, world, user)
        if request is None:
            return {}, words
        words["title"] = request.title
        words["place"] = request.location
        if target is Target.OWN_REQUEST and applies:
            applicant = _new_applicant(rng, world, request)
            if applicant is not None:
                words["person"] = applicant.volunteer.full_name.split()[0]
                return {"request_id": request.id, "volunteer_id": applicant.volunteer.id}, words
        if target is Target.OWN_REQUEST and request.volunteers:
            words["person"] = rng.choice(request.volunteers).volunteer.full_name.split()[0]
        elif target is not Target.OWN_REQUEST:
            words["person"] = request.requester.full_name.split()[0]
        return {"request_id": request.id}, words
    if target is Target.ROOM and world.rooms:
        room = world.rooms[rng.choice(sorted(world.rooms))]
        other = next(m for m in room.members if m.id != user.id)
        words["person"] = other.full_name.split()[0]
        theirs = [m for m in room.messages if m["sender"]["id"] == other.id]
        words["line"] = theirs[-1]["content"] if theirs else rng.choice(_LINES)
        return {"chat_room_id": room.id, "sender_id": other.id}, words
    if target is Target.APPROVAL:
        name = rng.choice(_NEWCOMERS)
        newcomer = Person(world.next_id(), name, name.split()[0].lower() + "@example.org")
        approval = Approval(world.next_id(), newcomer, user.id)
        world.approvals[approval.id] = approval
        words["person"] = name.split()[0]
        return {"approval_id": approval.id}, words
    return {}, words


def _new_applicant(
    rng: random.Random, world: World, request: ServiceRequest
) -> VolunteerRequest | None:
    applied = {v.volunteer.id for v in request.volunteers}
    free = [
        p for i, name in enumerate(_PEOPLE) if (p := _fictional(world, i, name)).id not in applied
    ]
    if not free:
        return None
    applicant = VolunteerRequest(world.next_id(), rng.choice(free), rng.choice(_OFFERS))
    request.volunteers.append(applicant)
    return applicant


def _fictional(world: World, index: int, name: str) -> Person:
    """One of the people of the demo world, the same object each time."""
    person = world.people.get(100 + index)
    if person is None:
        person = world.people[100 + index] = Person(100 + index, name)
    return person


def _request_for(
    target: Target, rng: random.Random, world: World, user: User
) -> ServiceRequest | None:
    def fits(request: ServiceRequest) -> bool:
        own = request.requester.id == user.id
        offered = any(v.volunteer.id == user.id for v in request.volunteers)
        if target is Target.OWN_REQUEST:
            return own
        if target is Target.VOLUNTEERED:
            return offered
        return not own and not offered

    choices = sorted(rid for rid, request in world.requests.items() if fits(request))
    return world.requests[rng.choice(choices)] if choices else None


def seed_demo_user(
    state: ServerState, count: int = 50, seed: int = 7, world: World | None = None
) -> User:
    """Create the demo account (and its partner account) with ``count``
    notifications spread over two weeks, about what ``world`` holds."""
    user = state.add_user(DEMO_EMAIL, DEMO_PASSWORD, first_name="Demo")
    partner = state.add_user(PARTNER_EMAIL, DEMO_PASSWORD, first_name="Priya")
    world = world if world is not None else World()
    rng = random.Random(seed)
    seed_world(world, rng, user, partner)
    now = datetime.now(UTC)
    for index in range(count):
        age = timedelta(minutes=(index + 1) * rng.randrange(5, 400))
        fields = make_notification_fields(rng, now - age, world, user)
        # Older ones are mostly read, as in a real inbox.
        if rng.random() < min(0.9, index / count + 0.2):
            fields["is_read"] = True
            fields["read_at"] = iso(now - age + timedelta(minutes=rng.randrange(1, 60)))
        state.create_notification(user, **fields)
    return user
