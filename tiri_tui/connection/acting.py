"""Acting on a notification over the wider Tiri API: a request's volunteers,
offers to help, completing a request, chat rooms, approvals of new members.

Every call goes through the REST client's gate (the token, Retry-After,
"login required"). None is queued or replayed: these calls change the world
and are not idempotent, so each is sent once while the person waits, and
what came back is said in the server's own words:

- a refusal (4xx with a DRF body) is :class:`ActionRefused`, flagged
  ``already`` when the server says it was already done;
- a route or object the server lacks (404/405) is :class:`ActionUnavailable`;
- a server out of reach (the connection refused) is :class:`ActionNotSent`:
  nothing happened, the person's text is kept for later;
- no answer to a call that changes the world (a timeout, a cut connection)
  is :class:`OutcomeUnknown`: the caller reads the object again before
  offering to retry.

Ids come checked (:func:`~tiri_tui.wire.acting.safe_id`) and are quoted
into the path once more; the person's text is sent as typed, JSON-encoded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from tiri_tui.connection.api import TiriApi
from tiri_tui.wire.acting import (
    Application,
    ChatMessage,
    HelpRequest,
    Malformed,
    NewMember,
    parse_list,
    safe_id,
)
from tiri_tui.wire.errors import (
    ActionNotSent,
    ActionRefused,
    ActionUnavailable,
    ApiError,
    NotSent,
    OutcomeUnknown,
    RateLimited,
    ServerUnreachable,
    message_from_body,
)

T = TypeVar("T")

#: Statuses that mean "no such route here" (or no such object): not worth retrying.
_MISSING = (404, 405, 501)
#: Statuses whose body is the server saying no to this action.
_REFUSING = (400, 403, 409, 410, 422)
#: How many messages a conversation shows per page.
MESSAGES_PAGE = 30


def _segment(value: str) -> str:
    checked = safe_id(value)
    if checked is None:
        raise ActionUnavailable("that id cannot be put in a request")
    return quote(checked, safe="")


def _unavailable(exc: ApiError) -> ActionUnavailable:
    if exc.status == 404 and exc.structured and exc.detail:
        return ActionUnavailable(f"not found on the server: {exc.detail}")
    return ActionUnavailable(f"not available on this server (it answered {exc.status})")


def _words(body: object, fallback: str) -> str:
    return message_from_body(body) or fallback


async def read_classified(api: TiriApi, path: str, params: dict[str, str] | None = None) -> Any:
    """GET through the gate; a route the server lacks is :class:`ActionUnavailable`."""
    try:
        return await api.call("GET", path, params=params)
    except RateLimited:
        raise
    except ApiError as exc:
        if exc.status in _MISSING:
            raise _unavailable(exc) from None
        raise


async def change_once(api: TiriApi, method: str, path: str, body: dict[str, Any] | None) -> Any:
    """Send a call that changes the world once, classified (see the module);
    the answer's body."""
    try:
        return await api.call(method, path, json=body, accept=(200, 201, 202, 204))
    except RateLimited:
        raise
    except NotSent as exc:
        raise ActionNotSent(f"not sent: {exc}") from None
    except ServerUnreachable as exc:
        raise OutcomeUnknown(f"no answer, so it may or may not have been done ({exc})") from None
    except ApiError as exc:
        if exc.status in _MISSING:
            raise _unavailable(exc) from None
        if exc.status in _REFUSING:
            words = exc.detail or f"refused ({exc.status})"
            raise ActionRefused(words, already="already" in words.lower()) from None
        if exc.status >= 500:
            raise OutcomeUnknown(
                f"the server failed ({exc.status}), so it may or may not have been done"
            ) from None
        raise


class ActingApi:
    """The actions of one logged-in session (over its :class:`TiriApi`)."""

    def __init__(self, api: TiriApi) -> None:
        self._api = api

    # -- the gate, classified ------------------------------------------------------------------
    async def _read(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await read_classified(self._api, path, params)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        """POST once, classified (see the module); the answer's body."""
        return await change_once(self._api, "POST", path, body)

    async def _write(self, path: str, body: dict[str, Any], done: str) -> str:
        """POST once; the server's words on success (``done`` when it says none)."""
        return _words(await self._post(path, body), done)

    @staticmethod
    def _parsed(parse: Callable[[object], T], body: object, what: str) -> T:
        try:
            return parse(body)
        except Malformed as exc:
            raise ApiError(200, f"malformed {what}: {exc}") from None

    # -- requests ------------------------------------------------------------------------------
    async def help_request(self, request_id: str) -> HelpRequest:
        body = await self._read(f"/api/requests/{_segment(request_id)}/")
        return self._parsed(HelpRequest.from_dict, body, "request")

    async def applications(self, request_id: str) -> list[Application]:
        """Who applied to help on the person's request."""
        body = await self._read(f"/api/requests/{_segment(request_id)}/volunteer-requests/")
        return self._parsed(
            lambda b: parse_list(b, "volunteer_requests", Application.from_dict), body, "list"
        )

    async def decide_volunteer(self, request_id: str, volunteer_id: str, *, approve: bool) -> str:
        route = "approve-volunteer" if approve else "reject-volunteer"
        path = f"/api/requests/{_segment(request_id)}/{route}/"
        wanted = safe_id(volunteer_id)
        if wanted is None:
            raise ActionUnavailable("that volunteer id cannot be put in a request")
        body: dict[str, Any] = {"volunteer_id": int(wanted) if wanted.isdigit() else wanted}
        return await self._write(path, body, "approved" if approve else "declined")

    async def offer(self, request_id: str, text: str) -> str:
        """Offer to help, with the person's message (under every name the app sends it)."""
        body = {
            "message": text,
            "message_to_requester": text,
            "message_content": text,
            "volunteer_message": text,
        }
        return await self._write(f"/api/requests/{_segment(request_id)}/accept/", body, "offered")

    async def withdraw(self, request_id: str, reason: str = "") -> str:
        body: dict[str, Any] = {"reason": reason} if reason else {}
        path = f"/api/requests/{_segment(request_id)}/cancel_acceptance/"
        return await self._write(path, body, "offer withdrawn")

    async def complete(self, request_id: str, notes: str = "") -> str:
        body: dict[str, Any] = {"feedback_list": []}
        if notes:
            body["completion_notes"] = notes
        path = f"/api/requests/{_segment(request_id)}/complete/"
        return await self._write(path, body, "marked complete")

    # -- chat ----------------------------------------------------------------------------------
    async def messages(self, room_id: str, page: int = 1) -> tuple[list[ChatMessage], bool]:
        """A page of the room's messages, oldest first, and whether older ones remain."""
        params = {"page": str(page), "page_size": str(MESSAGES_PAGE)}
        body = await self._read(f"/api/chat/rooms/{_segment(room_id)}/messages/", params)
        newest_first = self._parsed(
            lambda b: parse_list(b, "results", ChatMessage.from_dict), body, "messages"
        )
        older = isinstance(body, dict) and bool(body.get("next"))
        return newest_first[::-1], older

    async def reply(self, room_id: str, text: str) -> ChatMessage | None:
        """Send the person's message; the message as the server stored it (None
        when it answered without one)."""
        room = _segment(room_id)
        path = f"/api/chat/rooms/{room}/send_message/"
        body = {
            "room_id": int(room) if room.isdigit() else room,
            "content": text,
            "message_type": "text",
        }
        answer = await self._post(path, body)
        try:
            return ChatMessage.from_dict(answer)
        except Malformed:
            return None

    async def mark_room_read(self, room_id: str) -> None:
        """The room is read here: say so to the server (harmless when repeated)."""
        await self._api.call(
            "POST", f"/api/chat/rooms/{_segment(room_id)}/mark_read/", json={}, accept=(200, 204)
        )

    # -- new members -----------------------------------------------------------------------------
    async def pending_members(self) -> list[NewMember]:
        body = await self._read("/api/auth/approvals/pending/")
        return self._parsed(lambda b: parse_list(b, "approvals", NewMember.from_dict), body, "list")

    async def decide_member(self, approval_id: str, *, approve: bool, reason: str = "") -> str:
        route = "approve" if approve else "reject"
        path = f"/api/auth/approvals/{_segment(approval_id)}/{route}/"
        body: dict[str, Any] = {"rejection_reason": reason} if (reason and not approve) else {}
        return await self._write(path, body, "approved" if approve else "rejected")
