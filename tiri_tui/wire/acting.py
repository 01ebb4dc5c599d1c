"""What a notification lets the person do, decided from what it points at.

Pure: no I/O. A notification's ``extra_data`` names the object it is about
(``shared/PROTOCOL.md``, "Acting on a notification"); :func:`pointers_of`
reads those ids, refusing any that could smuggle a path, a query or a
fragment into a route; :func:`subjects_of` says what the ids lead to, its
type only refining it. The objects the routes answer with are parsed here
too, each field checked, text kept as the server sent it (shown inert).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tiri_tui.wire.models import Notification

#: An id that can go into an API path as one segment: letters, digits, ``-``
#: and ``_`` (numbers, UUIDs, slugs). Nothing else: no ``/``, ``..``, ``?``,
#: ``#``, ``%`` or space can reach a route from a server's ``extra_data``.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

#: The keys of each pointer, the contract's name first, then its aliases.
_KEYS: dict[str, tuple[str, ...]] = {
    "request": ("request_id", "service_request_id"),
    "room": ("chat_room_id", "room_id"),
    "approval": ("approval_id",),
    "volunteer": ("volunteer_id", "volunteer_user_id"),
    "sender": ("sender_id",),
}

#: Types that tell what a ``request_id`` is to the person.
_ASKED_TO_JOIN = frozenset({"request_accepted", "approval_request"})
_FEEDBACK = frozenset({"feedback_requested"})
_REFERRAL = frozenset({"referral_code_used", "approval_request"})


def safe_id(value: object) -> str | None:
    """``value`` as an id fit for a route segment, or None (missing or unsafe)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and _SAFE_ID.fullmatch(value):
        return value
    return None


@dataclass(frozen=True, slots=True)
class Pointers:
    """The ids a notification carries (None: absent); ``refused`` names the
    keys whose value was present but not a safe id."""

    request: str | None = None
    room: str | None = None
    approval: str | None = None
    volunteer: str | None = None
    sender: str | None = None
    refused: tuple[str, ...] = ()


def pointers_of(notification: Notification) -> Pointers:
    """The ids in ``notification``'s ``extra_data``, aliases read, unsafe ones refused."""
    extra = notification.extra_data or {}
    found: dict[str, str | None] = {}
    refused: list[str] = []
    for name, keys in _KEYS.items():
        found[name] = None
        for key in keys:
            value = extra.get(key)
            if value is None or value == "":
                continue
            checked = safe_id(value)
            if checked is None:
                refused.append(key)
                continue
            found[name] = checked
            break
    return Pointers(**found, refused=tuple(refused))


class Subject(Enum):
    """What a notification leads to (one or more per notification)."""

    VOLUNTEERS = "volunteers"  # who applied to help on the person's request
    REQUEST = "request"  # a request: offer to help, withdraw, or mark done
    CONVERSATION = "conversation"  # a chat room
    MEMBER = "member"  # a new member by referral


@dataclass(frozen=True, slots=True)
class Leads:
    """What a notification leads to, and why nothing when nothing."""

    subjects: tuple[Subject, ...]
    pointers: Pointers
    #: Said when ``subjects`` is empty.
    why_nothing: str = ""


def subjects_of(notification: Notification) -> Leads:
    """What ``notification`` leads to: decided by its ids, refined by its type."""
    pointers = pointers_of(notification)
    kind = notification.notification_type
    subjects: list[Subject] = []
    if pointers.request is not None:
        if kind in _ASKED_TO_JOIN:
            subjects.append(Subject.VOLUNTEERS)
        subjects.append(Subject.REQUEST)
    if pointers.room is not None:
        subjects.append(Subject.CONVERSATION)
    if pointers.approval is not None or (pointers.request is None and kind in _REFERRAL):
        subjects.append(Subject.MEMBER)
    why = ""
    if not subjects:
        if pointers.refused:
            keys = ", ".join(pointers.refused)
            why = f"its {keys} is not an id this app will put in a request"
        else:
            why = "it points at nothing to act on (no request, conversation or new member)"
    return Leads(tuple(subjects), pointers, why)


def refines_to_done(notification: Notification) -> bool:
    """Feedback asked for: marking the request done is what the app leads to."""
    return notification.notification_type in _FEEDBACK


class ActionName(Enum):
    """The actions, named as ``tiri-tui act`` takes them."""

    APPROVE = "approve"
    DECLINE = "decline"
    OFFER = "offer"
    WITHDRAW = "withdraw"
    COMPLETE = "complete"
    REPLY = "reply"
    MESSAGES = "messages"
    REJECT = "reject"

    @property
    def destructive(self) -> bool:
        """Cannot be taken back: asks first (decline, reject, complete)."""
        return self in (ActionName.DECLINE, ActionName.REJECT, ActionName.COMPLETE)


# -- the objects the routes answer with ----------------------------------------------------
class Malformed(ValueError):
    """An answer that is not the shape the contract gives."""


def _text(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise Malformed(f"{key} is not text")


def _required_id(data: dict[str, Any], key: str) -> str:
    """An id the server gave: shown, and put in paths, so only a safe one."""
    checked = safe_id(data.get(key))
    if checked is None:
        raise Malformed(f"{key} is missing or not an id")
    return checked


def _person(value: object) -> tuple[str | None, str]:
    """(id, name) of a user object, or of a bare id."""
    if isinstance(value, dict):
        pid = safe_id(value.get("id"))
        name = _text(value, "full_name") or " ".join(
            part for part in (_text(value, "first_name"), _text(value, "last_name")) if part
        )
        name = name or _text(value, "email") or _text(value, "username")
        return pid, name
    return safe_id(value), ""


def _object(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Malformed("not an object")
    return data


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """A request for help (``GET requests/{id}/``)."""

    id: str
    title: str
    description: str
    status: str
    requester: str
    location: str
    date_needed: str
    can_offer: bool
    can_withdraw: bool

    @classmethod
    def from_dict(cls, data: object) -> HelpRequest:
        body = _object(data)
        status = body.get("user_request_status")
        status = status if isinstance(status, dict) else {}
        _, requester = _person(body.get("requester"))
        location = body.get("location")
        where = _text(location, "name") if isinstance(location, dict) else _text(body, "location")
        return cls(
            id=_required_id(body, "id"),
            title=_text(body, "title"),
            description=_text(body, "description"),
            status=_text(body, "status"),
            requester=requester,
            location=where,
            date_needed=_text(body, "date_needed"),
            can_offer=status.get("can_request") is True,
            can_withdraw=status.get("can_cancel_request") is True,
        )


@dataclass(frozen=True, slots=True)
class Application:
    """Someone's offer to help on the person's request."""

    id: str
    volunteer_id: str
    name: str
    message: str
    status: str
    applied_at: str

    @classmethod
    def from_dict(cls, data: object) -> Application:
        body = _object(data)
        volunteer_id, name = _person(body.get("volunteer"))
        if volunteer_id is None:
            raise Malformed("volunteer has no id")
        return cls(
            id=_required_id(body, "id"),
            volunteer_id=volunteer_id,
            name=name or f"volunteer {volunteer_id}",
            message=_text(body, "message"),
            status=_text(body, "status"),
            applied_at=_text(body, "applied_at"),
        )


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation."""

    id: str
    sender_id: str | None
    sender_name: str
    content: str
    timestamp: str

    @classmethod
    def from_dict(cls, data: object) -> ChatMessage:
        body = _object(data)
        sender_id, name = _person(body.get("sender"))
        return cls(
            id=_required_id(body, "id"),
            sender_id=sender_id,
            sender_name=_text(body, "sender_name") or name,
            content=_text(body, "content"),
            timestamp=_text(body, "timestamp"),
        )


@dataclass(frozen=True, slots=True)
class NewMember:
    """Someone who joined with the person's referral code, awaiting approval."""

    id: str
    user_id: str | None
    name: str
    email: str
    requested_at: str

    @classmethod
    def from_dict(cls, data: object) -> NewMember:
        body = _object(data)
        user_id, name = _person(body.get("new_user"))
        new_user = body.get("new_user")
        email = _text(new_user, "email") if isinstance(new_user, dict) else ""
        return cls(
            id=_required_id(body, "id"),
            user_id=user_id,
            name=name or email or "a new member",
            email=email,
            requested_at=_text(body, "requested_at"),
        )


def parse_list(data: object, key: str, parse: Any) -> list[Any]:
    """The items under ``key`` (or a DRF page's ``results``, or a bare list),
    each parsed; an item that does not parse is left out."""
    items = data.get(key, data.get("results")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise Malformed(f"no {key} list")
    parsed = []
    for item in items:
        try:
            parsed.append(parse(item))
        except Malformed:
            continue
    return parsed
