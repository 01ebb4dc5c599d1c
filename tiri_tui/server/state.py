"""In-memory data of the demo server: users, notifications, simplejwt-like tokens.

No aiohttp here: the HTTP and WebSocket layers call these methods, and tests
may too. The shapes follow Django REST framework and simplejwt.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt

from tiri_tui.wire.models import KNOWN_TYPES, parse_timestamp

#: A new account's preferences: every channel on, every known type wanted, no quiet hours.
DEFAULT_PREFERENCES: dict[str, Any] = {
    "email_enabled": True,
    "push_enabled": True,
    "sms_enabled": False,
    "enabled_types": list(KNOWN_TYPES),
    "quiet_hours_start": None,
    "quiet_hours_end": None,
}


class TokenInvalid(Exception):
    """The token is missing, malformed, expired, revoked, or of the wrong kind."""


@dataclass
class User:
    """A demo account."""

    id: int
    email: str
    password: str
    first_name: str = ""
    #: Newest first; each item is the Notification wire dict.
    notifications: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The preferences the phone and the dashboard share (the Tiri backend's defaults).
    preferences: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PREFERENCES))

    def public(self) -> dict[str, Any]:
        """The ``user`` object of the login answer."""
        return {"id": self.id, "email": self.email, "first_name": self.first_name}


def iso(moment: datetime) -> str:
    """A timestamp as DRF prints it: UTC as ``Z``, microseconds always shown."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def now_iso() -> str:
    """The current time as DRF prints it."""
    return iso(datetime.now(UTC))


class ServerState:
    """Accounts, notifications and token bookkeeping of one demo server."""

    def __init__(
        self,
        *,
        access_lifetime: float = 300.0,
        refresh_lifetime: float = 86400.0,
        rotate_refresh_tokens: bool = True,
        secret: str | None = None,
    ) -> None:
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self._secret = secret or secrets.token_hex(32)
        self.users: dict[int, User] = {}
        self._blacklisted_jti: set[str] = set()
        #: Each refresh token's login (the jti of the refresh token the login
        #: issued): rotations stay in the family.
        self._family: dict[str, str] = {}
        self._rotated_jti: set[str] = set()
        #: Per login, how often a refresh came with a token already rotated
        #: away: the client never got that rotation's answer (a lost response),
        #: which with rotation and blacklisting ends the session for good.
        self.rotated_reuses: dict[str, int] = {}
        #: Counters tests read: how many refreshes and logins were served, and
        #: how many refreshes were refused (a token bad, expired or rotated away).
        self.refresh_calls = 0
        self.refresh_refusals = 0
        self.login_calls = 0

    # -- accounts -------------------------------------------------------
    def add_user(self, email: str, password: str, first_name: str = "") -> User:
        """Create an account and return it."""
        user = User(id=len(self.users) + 1, email=email, password=password, first_name=first_name)
        self.users[user.id] = user
        return user

    def user_by_email(self, email: str) -> User | None:
        """Look an account up by e-mail, case-insensitively as Django does."""
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    def authenticate(self, email: object, password: object) -> User | None:
        """The user for these credentials, or None."""
        if not isinstance(email, str) or not isinstance(password, str):
            return None
        user = self.user_by_email(email)
        if user is None or not secrets.compare_digest(user.password, password):
            return None
        return user

    # -- tokens ---------------------------------------------------------
    def _encode(self, user: User, token_type: str, lifetime: float) -> str:
        issued = time.time()
        payload = {
            "token_type": token_type,
            "exp": int(issued + lifetime),
            "iat": int(issued),
            "jti": uuid.uuid4().hex,
            # simplejwt puts the user id in the token as a string.
            "user_id": str(user.id),
        }
        return jwt.encode(payload, self._secret, algorithm="HS256")

    def issue_tokens(self, user: User) -> dict[str, str]:
        """A fresh access/refresh pair, as simplejwt's login answers."""
        self.login_calls += 1
        refresh = self._encode(user, "refresh", self.refresh_lifetime)
        jti = self._jti(refresh)
        self._family[jti] = jti
        return {"access": self._encode(user, "access", self.access_lifetime), "refresh": refresh}

    @staticmethod
    def _jti(token: str) -> str:
        return str(jwt.decode(token, options={"verify_signature": False})["jti"])

    def login_of(self, refresh_token: str) -> str | None:
        """Which login a refresh token descends from (for tests' bookkeeping)."""
        try:
            return self._family.get(self._jti(refresh_token))
        except (jwt.PyJWTError, KeyError):
            return None

    def decode(self, token: object, token_type: str) -> tuple[User, dict[str, Any]]:
        """Validate a token; return its user and claims or raise TokenInvalid."""
        if not isinstance(token, str) or not token:
            raise TokenInvalid("Token is missing")
        try:
            # exp is checked to the second, like simplejwt (no leeway).
            claims = jwt.decode(token, self._secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            raise TokenInvalid("Token is invalid or expired") from None
        if claims.get("token_type") != token_type:
            raise TokenInvalid("Token has wrong type")
        if claims.get("jti") in self._blacklisted_jti:
            raise TokenInvalid("Token is blacklisted")
        try:
            user = self.users[int(claims.get("user_id", ""))]
        except (KeyError, ValueError):
            raise TokenInvalid("User not found") from None
        return user, claims

    def refresh(self, refresh_token: object) -> dict[str, str]:
        """simplejwt's TokenRefreshView, with rotation and blacklisting."""
        self.refresh_calls += 1
        login = self.login_of(refresh_token) if isinstance(refresh_token, str) else None
        if login is not None and self._jti(str(refresh_token)) in self._rotated_jti:
            self.rotated_reuses[login] = self.rotated_reuses.get(login, 0) + 1
        try:
            user, claims = self.decode(refresh_token, "refresh")
        except TokenInvalid:
            self.refresh_refusals += 1
            raise
        answer = {"access": self._encode(user, "access", self.access_lifetime)}
        if self.rotate_refresh_tokens:
            self._blacklisted_jti.add(claims["jti"])
            self._rotated_jti.add(claims["jti"])
            answer["refresh"] = self._encode(user, "refresh", self.refresh_lifetime)
            if login is not None:
                self._family[self._jti(answer["refresh"])] = login
        return answer

    def revoke(self, refresh_token: object) -> None:
        """Blacklist a refresh token (logout)."""
        _, claims = self.decode(refresh_token, "refresh")
        self._blacklisted_jti.add(claims["jti"])

    # -- notifications ----------------------------------------------------
    def create_notification(self, user: User, **fields: Any) -> dict[str, Any]:
        """Add a notification (newest) for a user and return its wire dict."""
        notification: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "title": "Notification",
            "message": "",
            "is_read": False,
            "created_at": now_iso(),
            "notification_type": "new_message",
            "priority": "normal",
            "read_at": None,
            "extra_data": {},
        }
        notification.update(fields)
        notification["id"] = str(notification["id"])
        self._insert(user, notification)
        return notification

    def _insert(self, user: User, notification: dict[str, Any]) -> None:
        created = parse_timestamp(notification["created_at"], "created_at")
        index = 0
        # New ones are nearly always the newest; seeds may arrive in any order.
        while index < len(user.notifications) and (
            parse_timestamp(user.notifications[index]["created_at"], "created_at") > created
        ):
            index += 1
        user.notifications.insert(index, notification)
        user.by_id[notification["id"]] = notification

    def unread_count(self, user: User) -> int:
        """How many of the user's notifications are unread."""
        return sum(1 for n in user.notifications if not n.get("is_read"))

    def unread_by_type(self, user: User) -> dict[str, int]:
        """Unread counts per notification type (the ``type_breakdown``)."""
        counts: dict[str, int] = {}
        for n in user.notifications:
            if not n.get("is_read"):
                kind = str(n.get("notification_type"))
                counts[kind] = counts.get(kind, 0) + 1
        return counts

    def set_read(self, user: User, notification_id: str, is_read: bool) -> dict[str, Any] | None:
        """Mark one read/unread; return it, or None when there is no such id."""
        notification = user.by_id.get(notification_id)
        if notification is None:
            return None
        notification["is_read"] = is_read
        notification["read_at"] = now_iso() if is_read else None
        return notification

    def mark_all_read(self, user: User) -> list[dict[str, Any]]:
        """Mark every unread notification read; return the ones that changed."""
        changed = [n for n in user.notifications if not n["is_read"]]
        stamp = now_iso()
        for n in changed:
            n["is_read"] = True
            n["read_at"] = stamp
        return changed

    def delete(self, user: User, notification_id: str) -> bool:
        """Delete one; False when there is no such id."""
        notification = user.by_id.pop(notification_id, None)
        if notification is None:
            return False
        user.notifications.remove(notification)
        return True

    def clear_read(self, user: User) -> int:
        """Delete every read notification; how many went."""
        kept = [n for n in user.notifications if not n.get("is_read")]
        gone = len(user.notifications) - len(kept)
        user.notifications = kept
        user.by_id = {n["id"]: n for n in kept}
        return gone

    def query(
        self,
        user: User,
        *,
        is_read: bool | None = None,
        notification_type: str | None = None,
        priority: str | None = None,
        search: str | None = None,
    ) -> list[dict[str, Any]]:
        """The user's notifications matching DRF-style filters, newest first."""
        needle = search.lower() if search else None
        return [
            n
            for n in user.notifications
            if (is_read is None or n.get("is_read") is is_read)
            and (notification_type is None or n.get("notification_type") == notification_type)
            and (priority is None or n.get("priority") == priority)
            and (needle is None or needle in f"{n.get('title')} {n.get('message')}".lower())
        ]
