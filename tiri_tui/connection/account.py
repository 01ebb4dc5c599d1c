"""Account-wide calls: the unread count by type, clearing every read
notification, and the preferences shared with the phone.

All three are optional on a server (``shared/PROTOCOL.md``): a breakdown the
server does not send is None, and a route it lacks is
:class:`~tiri_tui.wire.errors.ActionUnavailable`, said in words by the caller.
Clearing read notifications and saving preferences change the world: each is
sent once while the person waits, never queued or replayed.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from tiri_tui.connection.acting import change_once, read_classified
from tiri_tui.connection.api import COLLECTION, TiriApi
from tiri_tui.wire.account import Preferences, breakdown_from, preferences_from
from tiri_tui.wire.errors import ActionUnavailable, ApiError
from tiri_tui.wire.models import WireError

PREFERENCES = "/api/notifications/preferences/notification_preferences/"


class Breakdown(Struct, frozen=True):
    """An unread count and, when the server sends one, its split by type
    (names made inert, largest first)."""

    count: int
    by_type: dict[str, int] | None


def breakdown_of(body: object) -> Breakdown:
    """An unread-count answer read (ApiError when it carries no count)."""
    count = body.get("unread_count") if isinstance(body, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ApiError(200, "malformed unread count")
    return Breakdown(count, breakdown_from(body))


class AccountApi:
    """The account-wide calls of one logged-in session (over its :class:`TiriApi`)."""

    def __init__(self, api: TiriApi) -> None:
        self._api = api

    async def unread_breakdown(self) -> Breakdown:
        """The unread count with ``include_breakdown``; ``by_type`` None when the
        server ignores the parameter."""
        body = await self._api.call(
            "GET", COLLECTION + "unread_count/", params={"include_breakdown": "true"}
        )
        return breakdown_of(body)

    async def clear_read(self) -> int | None:
        """Delete every read notification on the server, once: how many it says
        it deleted (None: it did not say)."""
        try:
            body = await change_once(self._api, "POST", COLLECTION + "clear_read/", {})
        except ActionUnavailable:
            raise ActionUnavailable("this server cannot clear read notifications") from None
        deleted = body.get("deleted_count") if isinstance(body, dict) else None
        return deleted if isinstance(deleted, int) and not isinstance(deleted, bool) else None

    async def preferences(self) -> Preferences:
        """The person's preferences as the server holds them."""
        try:
            body = await read_classified(self._api, PREFERENCES)
        except ActionUnavailable:
            raise ActionUnavailable("this server keeps no notification preferences") from None
        return _parsed(body)

    async def save_preferences(self, body: dict[str, Any]) -> Preferences:
        """Write the whole preferences object back (PUT, once); what the server
        then holds."""
        try:
            answer = await change_once(self._api, "PUT", PREFERENCES, body)
        except ActionUnavailable:
            raise ActionUnavailable("this server keeps no notification preferences") from None
        return _parsed(answer)


def _parsed(body: object) -> Preferences:
    try:
        return preferences_from(body)
    except WireError as exc:
        raise ApiError(200, f"malformed preferences: {exc.reason}") from None
