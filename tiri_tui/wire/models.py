"""The Notification object of the Tiri wire contract, parsed and encoded.

Pure data: no I/O. Everything a server sends is validated here, and anything
wrong raises :class:`WireError` carrying what was wrong, so callers can drop
one bad object and keep the valid ones around it.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from msgspec import Struct, field

#: The priorities the protocol names, lowest first.
PRIORITIES = ("low", "normal", "high", "urgent")

KNOWN_TYPES = (
    "request_accepted",
    "volunteer_cancelled",
    "volunteer_checked_in",
    "new_nearby_request",
    "new_message",
    "chat_room_created",
    "feedback_requested",
    "approval_request",
    "referral_approved",
    "welcome_email",
)


class WireError(ValueError):
    """Input from the server that does not follow the wire contract.

    ``reason`` is a short, human-readable description of what was wrong; it
    never contains the offending payload (which may be huge or hostile).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_timestamp(value: object, key: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or an offset) into an aware datetime.

    A timestamp without an offset is taken as UTC, as Django serialises
    naive datetimes when ``USE_TZ`` is off.
    """
    if not isinstance(value, str):
        raise WireError(f"{key!r} must be an ISO 8601 string, got {type(value).__name__}")
    try:
        # Python 3.11's parser takes "Z" and offsets itself.
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WireError(f"{key!r} is not an ISO 8601 timestamp") from None
    zone = parsed.tzinfo
    if zone is not UTC and (zone is None or parsed.utcoffset() == _ZERO):
        # One shared UTC object instead of a new timezone per timestamp: at
        # 100k notifications that is megabytes. ("Z" already parses to it.)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


_ZERO = timedelta(0)
#: Shared by every notification without unknown keys (never mutated).
_NO_EXTRA: dict[str, Any] = {}


def format_timestamp(value: datetime) -> str:
    """Encode an aware datetime the way DRF does (UTC shown as ``Z``)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _intern(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise WireError(f"missing required key {key!r}")
    value = data[key]
    # bool is an int subclass: an id of True is a wrong type, not the id 1.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise WireError(f"{key!r} has the wrong type ({type(value).__name__})")
    return value


def _parse_well_formed(cls: type[Notification], data: dict[str, Any]) -> Notification | None:
    """The common case in one pass of exact type checks (JSON gives exact
    types); None when anything differs, for the slow path to explain.

    A burst of 10,000 frames spends more time here than anywhere else.
    """
    get = data.get
    raw_id, title, message = get("id"), get("title"), get("message")
    is_read, created, kind = get("is_read"), get("created_at"), get("notification_type")
    priority, read_at, expires_at = get("priority"), get("read_at"), get("expires_at")
    by, to = get("created_by_name"), get("recipient_name")
    display, since, extra_data = (
        get("notification_type_display"),
        get("time_since_created"),
        get("extra_data"),
    )
    str_ = str
    if not (
        type(raw_id) is str_
        and raw_id.strip()
        and type(title) is str_
        and type(message) is str_
        and type(is_read) is bool
        and type(created) is str_
        and type(kind) is str_
        and (priority is None or type(priority) is str_)
        and (read_at is None or type(read_at) is str_)
        and (expires_at is None or type(expires_at) is str_)
        and (by is None or type(by) is str_)
        and (to is None or type(to) is str_)
        and (display is None or type(display) is str_)
        and (since is None or type(since) is str_)
        and (extra_data is None or type(extra_data) is dict)
    ):
        return None
    unknown = data.keys() - _KNOWN_KEYS
    return cls(
        raw_id,
        title,
        message,
        is_read,
        parse_timestamp(created, "created_at"),
        sys.intern(kind),
        None if priority is None else sys.intern(priority),
        None if read_at is None else parse_timestamp(read_at, "read_at"),
        None if expires_at is None else parse_timestamp(expires_at, "expires_at"),
        # Senders, the recipient, type labels and "2 hours ago" repeat from
        # row to row: one shared string each.
        _intern(by),
        _intern(to),
        _intern(display),
        _intern(since),
        None if extra_data is None else encode_extra(extra_data),
        {key: data[key] for key in unknown} if unknown else _NO_EXTRA,
    )


class WellFormed(Struct, forbid_unknown_fields=True):
    """A Notification object exactly as the contract writes it (no key
    unknown, every type exact): decoded from JSON in one pass of C by
    msgspec, where ``json.loads`` and the checks of :func:`_parse_well_formed`
    take twice as long. Anything else fails to decode, and the ordinary path
    takes it (and says what is wrong)."""

    id: str
    title: str
    message: str
    is_read: bool
    created_at: str
    notification_type: str
    priority: str | None = None
    read_at: str | None = None
    expires_at: str | None = None
    created_by_name: str | None = None
    recipient_name: str | None = None
    notification_type_display: str | None = None
    time_since_created: str | None = None
    extra_data: dict[str, Any] | None = None

    def notification(self) -> Notification | None:
        """The Notification, as :meth:`Notification.from_dict` gives it (None:
        an empty id, which the ordinary path explains)."""
        if not self.id.strip():
            return None
        extra_data = self.extra_data
        return Notification(
            self.id,
            self.title,
            self.message,
            self.is_read,
            parse_timestamp(self.created_at, "created_at"),
            sys.intern(self.notification_type),
            _intern(self.priority),
            None if self.read_at is None else parse_timestamp(self.read_at, "read_at"),
            None if self.expires_at is None else parse_timestamp(self.expires_at, "expires_at"),
            _intern(self.created_by_name),
            _intern(self.recipient_name),
            _intern(self.notification_type_display),
            _intern(self.time_since_created),
            None if extra_data is None else encode_extra(extra_data),
            _NO_EXTRA,
        )


#: msgspec's encoder: a tenth of the time of the standard one, which was a
#: twentieth of a burst's. Both paths (a frame's, a page's) keep text from this
#: one, so the same notification read either way is equal. A NaN or infinity
#: (only a non-standard server's JSON can carry one) is kept as null.
_ENCODER = msgspec.json.Encoder()


def encode_extra(extra_data: dict[str, Any]) -> str:
    """``extra_data`` as the compact JSON text a Notification keeps."""
    return _ENCODER.encode(extra_data).decode()


def _encode_optional(extra_data: dict[str, Any] | None) -> str | None:
    return None if extra_data is None else encode_extra(extra_data)


def _optional(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise WireError(f"{key!r} has the wrong type ({type(value).__name__})")
    return value


_STRING_KEYS = (
    "created_by_name",
    "recipient_name",
    "notification_type_display",
    "time_since_created",
)
_KNOWN_KEYS = frozenset(
    {
        "id",
        "title",
        "message",
        "is_read",
        "created_at",
        "notification_type",
        "priority",
        "read_at",
        "expires_at",
        "extra_data",
        *_STRING_KEYS,
    }
)


class Notification(Struct, frozen=True, gc=False):
    """One notification as the server describes it.

    ``id`` is always a string: servers send UUIDs, and an integer primary key
    is accepted and turned into its decimal string so ids compare as strings.
    ``extra`` keeps every key this client does not know, so encoding gives
    back what the server sent.
    """

    id: str
    title: str
    message: str
    is_read: bool
    created_at: datetime
    notification_type: str
    priority: str | None = None
    read_at: datetime | None = None
    expires_at: datetime | None = None
    created_by_name: str | None = None
    recipient_name: str | None = None
    notification_type_display: str | None = None
    time_since_created: str | None = None
    #: ``extra_data`` as compact JSON: kept as text until shown (a dict per
    #: row is ~250 bytes, a quarter of a row's memory at 100,000 rows).
    extra_json: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def extra_data(self) -> dict[str, Any] | None:
        """The server's ``extra_data`` object (parsed anew at each access)."""
        return None if self.extra_json is None else json.loads(self.extra_json)

    @classmethod
    def from_dict(cls, data: object) -> Notification:
        """Validate and parse one Notification object; raise WireError if bad."""
        if not isinstance(data, dict):
            raise WireError(f"a notification must be an object, got {type(data).__name__}")
        fast = _parse_well_formed(cls, data)
        if fast is not None:
            return fast
        # Something is off: the checks below say exactly what.
        raw_id = _require(data, "id", (str, int))
        if isinstance(raw_id, str) and not raw_id.strip():
            raise WireError("'id' is empty")
        get = data.get
        read_at, expires_at = get("read_at"), get("expires_at")
        # Unknown keys are rare: find them with one C-level set difference.
        unknown = data.keys() - _KNOWN_KEYS
        return cls(
            str(raw_id),
            _require(data, "title", str),
            _require(data, "message", str),
            _require(data, "is_read", bool),
            parse_timestamp(_require(data, "created_at", str), "created_at"),
            # Types and priorities repeat across thousands of rows: share them.
            sys.intern(_require(data, "notification_type", str)),
            _intern(_optional(data, "priority", str)),
            None if read_at is None else parse_timestamp(read_at, "read_at"),
            None if expires_at is None else parse_timestamp(expires_at, "expires_at"),
            _intern(_optional(data, "created_by_name", str)),
            _intern(_optional(data, "recipient_name", str)),
            _intern(_optional(data, "notification_type_display", str)),
            _intern(_optional(data, "time_since_created", str)),
            _encode_optional(_optional(data, "extra_data", dict)),
            {key: data[key] for key in unknown} if unknown else _NO_EXTRA,
        )

    def to_dict(self) -> dict[str, Any]:
        """Encode back to the wire shape, unknown keys included."""
        out: dict[str, Any] = dict(self.extra)
        out.update(
            id=self.id,
            title=self.title,
            message=self.message,
            is_read=self.is_read,
            created_at=format_timestamp(self.created_at),
            notification_type=self.notification_type,
            read_at=None if self.read_at is None else format_timestamp(self.read_at),
        )
        if self.priority is not None:
            out["priority"] = self.priority
        if self.expires_at is not None:
            out["expires_at"] = format_timestamp(self.expires_at)
        if self.extra_json is not None:
            out["extra_data"] = json.loads(self.extra_json)
        for key in _STRING_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def with_read(self, is_read: bool, when: datetime | None = None) -> Notification:
        """A copy marked read (at ``when``, default now) or unread."""
        read_at = (self.read_at or when or datetime.now(UTC)) if is_read else None
        # Field by field, not a replace (several times slower): "mark all read"
        # makes one of these per unread row.
        return Notification(
            self.id,
            self.title,
            self.message,
            is_read,
            self.created_at,
            self.notification_type,
            self.priority,
            read_at,
            self.expires_at,
            self.created_by_name,
            self.recipient_name,
            self.notification_type_display,
            self.time_since_created,
            self.extra_json,
            self.extra,
        )

    @property
    def sort_key(self) -> tuple[float, str]:
        """Display order is this key's descending order: newest first, and
        among rows created at the same moment the greater id first."""
        return (self.created_at.timestamp(), self.id)


class Page(Struct, frozen=True):
    """One DRF page of notifications, with the objects that failed to parse."""

    count: int
    next: str | None
    previous: str | None
    results: list[Notification]
    rejected: list[str]
    total_unread_count: int | None = None

    @classmethod
    def from_dict(cls, data: object) -> Page:
        """Parse a DRF page; bad results are rejected one by one, not the page."""
        if not isinstance(data, dict):
            raise WireError(f"a page must be an object, got {type(data).__name__}")
        raw_results = _require(data, "results", list)
        count = _optional(data, "count", int)
        next_url = _optional(data, "next", str)
        previous = _optional(data, "previous", str)
        unread = data.get("total_unread_count")
        results: list[Notification] = []
        rejected: list[str] = []
        for item in raw_results:
            try:
                results.append(Notification.from_dict(item))
            except WireError as exc:
                rejected.append(exc.reason)
        return cls(
            count=count if count is not None else len(results),
            next=next_url,
            previous=previous,
            results=results,
            rejected=rejected,
            total_unread_count=unread if isinstance(unread, int) and unread >= 0 else None,
        )
