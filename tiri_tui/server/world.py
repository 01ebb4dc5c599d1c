"""What the notifications are about, in the demo server: requests for help
and the volunteers who applied, chat rooms and their messages, new members
waiting for approval by whoever referred them.

No aiohttp here (the routes are :mod:`tiri_tui.server.acting`). The shapes
are those of the Tiri backend's serializers (``shared/PROTOCOL.md``, "Acting
on a notification"); every refusal is a :class:`Refused` carrying the status
and the DRF body a real deployment answers with.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from tiri_tui.server.state import User, now_iso


class Refused(Exception):
    """The backend says no: an HTTP status and its DRF error body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def _not_found(what: str) -> Refused:
    return Refused(404, {"detail": f"No {what} matches the given query."})


def _forbidden() -> Refused:
    return Refused(403, {"detail": "You do not have permission to perform this action."})


@dataclass
class Person:
    """Someone the demo user meets (an applicant, a chat partner, a new member)."""

    id: int
    full_name: str
    email: str = ""

    def public(self) -> dict[str, Any]:
        first, _, last = self.full_name.partition(" ")
        return {
            "id": self.id,
            "full_name": self.full_name,
            "first_name": first,
            "last_name": last,
            "email": self.email,
        }


@dataclass
class VolunteerRequest:
    """Someone's offer to help on a request."""

    id: int
    volunteer: Person
    message: str
    status: str = "pending"
    applied_at: str = field(default_factory=now_iso)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "volunteer": self.volunteer.public(),
            "message": self.message,
            "status": self.status,
            "applied_at": self.applied_at,
        }


@dataclass
class ServiceRequest:
    """A request for help: the demo user's own, or one nearby."""

    id: str
    title: str
    description: str
    requester: Person
    location: str
    date_needed: str
    status: str = "open"
    volunteers: list[VolunteerRequest] = field(default_factory=list)

    def public(self, viewer: Person) -> dict[str, Any]:
        mine = next((v for v in self.volunteers if v.volunteer.id == viewer.id), None)
        offered = mine is not None and mine.status in ("pending", "approved")
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "requester": self.requester.public(),
            "location": self.location,
            "date_needed": self.date_needed,
            "volunteers_count": sum(1 for v in self.volunteers if v.status == "approved"),
            "user_request_status": {
                "can_request": (
                    self.requester.id != viewer.id and not offered and self.status == "open"
                ),
                "can_cancel_request": offered and self.status in ("open", "in_progress"),
                "status": mine.status if mine is not None else None,
            },
        }


@dataclass
class ChatRoom:
    """A conversation between the demo user and someone else."""

    id: str
    members: tuple[Person, Person]
    #: Oldest first.
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Approval:
    """A new member who joined with someone's referral code."""

    id: int
    new_user: Person
    referrer_id: int
    requested_at: str = field(default_factory=now_iso)
    status: str = "pending"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "new_user": self.new_user.public(),
            "requested_at": self.requested_at,
            "status": self.status,
        }


class World:
    """Every request, room and approval of one demo server."""

    def __init__(self) -> None:
        self.requests: dict[str, ServiceRequest] = {}
        self.rooms: dict[str, ChatRoom] = {}
        self.approvals: dict[int, Approval] = {}
        self.people: dict[int, Person] = {}
        self._ids = itertools.count(1000)

    def next_id(self) -> int:
        return next(self._ids)

    def person(self, user: User | Person) -> Person:
        """The person an account is in this world (made on first sight)."""
        if isinstance(user, Person):
            return user
        known = self.people.get(user.id)
        if known is None:
            name = user.first_name or user.email.partition("@")[0]
            known = self.people[user.id] = Person(user.id, name, user.email)
        return known

    # -- requests ---------------------------------------------------------------------
    def request(self, request_id: str) -> ServiceRequest:
        found = self.requests.get(request_id)
        if found is None:
            raise _not_found("ServiceRequest")
        return found

    def volunteer_requests(self, user: User, request_id: str) -> list[dict[str, Any]]:
        """Who applied to help on the user's own request."""
        wanted = self.request(request_id)
        if wanted.requester.id != user.id:
            raise _forbidden()
        return [v.public() for v in wanted.volunteers]

    def decide_volunteer(
        self, user: User, request_id: str, volunteer_id: object, approve: bool
    ) -> tuple[str, VolunteerRequest]:
        """Approve or decline an applicant; returns the server's words and the application."""
        wanted = self.request(request_id)
        if wanted.requester.id != user.id:
            raise _forbidden()
        if volunteer_id is None or volunteer_id == "":
            raise Refused(400, {"volunteer_id": ["This field is required."]})
        applied = next(
            (v for v in wanted.volunteers if str(v.volunteer.id) == str(volunteer_id)), None
        )
        if applied is None:
            raise Refused(404, {"error": "Volunteer request not found"})
        goal = "approved" if approve else "rejected"
        if applied.status == goal:
            raise Refused(400, {"error": f"Volunteer already {goal}"})
        if applied.status != "pending":
            raise Refused(400, {"error": f"Volunteer request is already {applied.status}"})
        applied.status = goal
        if approve and wanted.status == "open":
            wanted.status = "in_progress"
        name = applied.volunteer.full_name
        words = f"{name} approved" if approve else f"{name} declined"
        return words, applied

    def offer_help(self, user: User, request_id: str, message: object) -> VolunteerRequest:
        """The user offers to help on a request nearby."""
        wanted = self.request(request_id)
        me = self.person(user)
        if wanted.requester.id == user.id:
            raise Refused(400, {"error": "You cannot volunteer for your own request"})
        if wanted.status != "open":
            raise Refused(400, {"error": f"This request is {wanted.status}"})
        mine = next((v for v in wanted.volunteers if v.volunteer.id == me.id), None)
        if mine is not None and mine.status in ("pending", "approved"):
            raise Refused(400, {"error": "You have already volunteered for this request"})
        text = message if isinstance(message, str) else ""
        offer = VolunteerRequest(self.next_id(), me, text)
        if mine is not None:
            wanted.volunteers.remove(mine)
        wanted.volunteers.append(offer)
        return offer

    def withdraw(self, user: User, request_id: str) -> None:
        """The user takes back an offer to help."""
        wanted = self.request(request_id)
        mine = next(
            (
                v
                for v in wanted.volunteers
                if v.volunteer.id == user.id and v.status in ("pending", "approved")
            ),
            None,
        )
        if mine is None:
            raise Refused(400, {"error": "You have not volunteered for this request"})
        mine.status = "withdrawn"

    def complete(self, user: User, request_id: str) -> ServiceRequest:
        """The requester marks the request done."""
        wanted = self.request(request_id)
        if wanted.requester.id != user.id:
            raise _forbidden()
        if wanted.status == "completed":
            raise Refused(400, {"error": "Request is already completed"})
        if wanted.status == "cancelled":
            raise Refused(400, {"error": "Request is cancelled"})
        wanted.status = "completed"
        return wanted

    # -- chat -------------------------------------------------------------------------------
    def room(self, user: User, room_id: str) -> ChatRoom:
        found = self.rooms.get(room_id)
        if found is None:
            raise _not_found("ChatRoom")
        if all(member.id != user.id for member in found.members):
            raise _forbidden()
        return found

    def post(self, user: User, room_id: str, content: object) -> tuple[dict[str, Any], Person]:
        """A message from the user; returns it and who it is for."""
        room = self.room(user, room_id)
        if not isinstance(content, str) or not content.strip():
            raise Refused(400, {"content": ["This field may not be blank."]})
        me = self.person(user)
        message = self.add_message(room, me, content)
        other = next(member for member in room.members if member.id != me.id)
        return message, other

    def add_message(self, room: ChatRoom, sender: Person, content: str) -> dict[str, Any]:
        message = {
            "id": self.next_id(),
            "chat_room": room.id,
            "sender": sender.public(),
            "sender_name": sender.full_name,
            "content": content,
            "timestamp": now_iso(),
            "is_read": False,
        }
        room.messages.append(message)
        return message

    def mark_room_read(self, user: User, room_id: str) -> int:
        """Everything the others said in the room is read; how many were not."""
        room = self.room(user, room_id)
        unread = [m for m in room.messages if not m["is_read"] and m["sender"]["id"] != user.id]
        for message in unread:
            message["is_read"] = True
        return len(unread)

    # -- approvals --------------------------------------------------------------------------
    def pending_approvals(self, user: User) -> list[dict[str, Any]]:
        return [
            a.public()
            for a in self.approvals.values()
            if a.referrer_id == user.id and a.status == "pending"
        ]

    def decide_member(self, user: User, approval_id: str, approve: bool) -> tuple[str, Approval]:
        """Approve or reject a new member; the server's words and the approval."""
        try:
            found = self.approvals[int(approval_id)]
        except (KeyError, ValueError):
            raise _not_found("UserApproval") from None
        if found.referrer_id != user.id:
            raise _forbidden()
        goal = "approved" if approve else "rejected"
        if found.status == goal:
            raise Refused(400, {"error": f"This user has already been {goal}"})
        if found.status != "pending":
            raise Refused(400, {"error": f"This approval is already {found.status}"})
        found.status = goal
        verb = "approved" if approve else "rejected"
        return f"{found.new_user.full_name} {verb}", found
