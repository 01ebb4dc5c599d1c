"""REST routes of the demo server: simplejwt auth and the DRF notifications API.

Paths, methods, status codes and body shapes are those a Django + DRF +
simplejwt deployment gives (see docs/PROTOCOL.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tiri_tui.server.app_keys import FAULTS, HUB, STATE
from tiri_tui.server.state import TokenInvalid, User

COLLECTION = "/api/notifications/notifications/"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def answer(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _token_error(detail: str) -> dict[str, Any]:
    return {
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": detail}],
    }


def _unauthorized(body: dict[str, Any]) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(
        text=json.dumps(body),
        content_type="application/json",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def body_of(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(
            text=json.dumps({"detail": "JSON parse error"}), content_type="application/json"
        ) from None
    return data if isinstance(data, dict) else {}


def user_of(request: web.Request) -> User:
    """The user of the request's Bearer token, or an HTTP 401 as DRF answers."""
    try:
        return _authenticate(request)
    except web.HTTPUnauthorized:
        request.app[FAULTS].unauthorized_answers += 1
        raise


def _authenticate(request: web.Request) -> User:
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthorized({"detail": "Authentication credentials were not provided."})
    scheme, _, token = header.partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise _unauthorized(_token_error("Authorization header must contain two values"))
    try:
        user, _ = request.app[STATE].decode(token.strip(), "access")
        if request.app[FAULTS].refuse_access_tokens:
            raise TokenInvalid("User is inactive")
    except TokenInvalid as exc:
        raise _unauthorized(_token_error(str(exc))) from None
    return user


async def _broadcast(request: web.Request, user: User, changed: list[dict[str, Any]]) -> None:
    """What changed goes to the user's sockets too, as a Channels app does on save."""
    await request.app[HUB].broadcast_changes(request.app[STATE], user, changed)


# -- auth --------------------------------------------------------------------
async def login(request: web.Request) -> web.Response:
    """simplejwt's TokenObtainPairView with the user object Tiri adds."""
    state = request.app[STATE]
    data = await body_of(request)
    user = state.authenticate(data.get("email"), data.get("password"))
    if user is None:
        if request.app[FAULTS].login_error_status == 400:
            message = "Unable to log in with provided credentials."
            return answer({"non_field_errors": [message]}, status=400)
        return answer({"detail": "No active account found with the given credentials"}, status=401)
    return answer({"tokens": state.issue_tokens(user), "user": user.public()})


async def refresh(request: web.Request) -> web.Response:
    """simplejwt's TokenRefreshView (rotation and blacklist per server settings)."""
    data = await body_of(request)
    if "refresh" not in data:
        return answer({"refresh": ["This field is required."]}, status=400)
    try:
        return answer(request.app[STATE].refresh(data["refresh"]))
    except TokenInvalid:
        return answer({"detail": "Token is invalid or expired", "code": "token_not_valid"}, 401)


async def logout(request: web.Request) -> web.Response:
    """Blacklist the refresh token; needs a valid access token; 205, empty."""
    user_of(request)
    data = await body_of(request)
    try:
        request.app[STATE].revoke(data.get("refresh"))
    except TokenInvalid:
        return answer({"detail": "Token is invalid or expired", "code": "token_not_valid"}, 400)
    return web.Response(status=205)


# -- notifications -------------------------------------------------------------
def _query_bool(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise web.HTTPBadRequest(
        text=json.dumps({"is_read": ["Select a valid choice."]}), content_type="application/json"
    )


def positive_int(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number > 0 else None


async def list_notifications(request: web.Request) -> web.Response:
    """The DRF page: count, absolute next/previous, results newest first."""
    user = user_of(request)
    query = request.rel_url.query
    items = request.app[STATE].query(
        user,
        is_read=_query_bool(query.get("is_read")),
        notification_type=query.get("type") or None,
        priority=query.get("priority") or None,
        search=query.get("search") or None,
    )
    page = positive_int(query.get("page"), 1)
    size = positive_int(query.get("page_size"), DEFAULT_PAGE_SIZE)
    size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    pages = max(1, -(-len(items) // size))
    if page is None or page > pages:
        return answer({"detail": "Invalid page."}, status=404)
    start = (page - 1) * size
    url = request.url

    def page_url(number: int) -> str:
        if number == 1:
            return str(url.without_query_params("page"))
        return str(url.update_query(page=str(number)))

    body = {
        "count": len(items),
        "next": page_url(page + 1) if page < pages else None,
        "previous": page_url(page - 1) if page > 1 else None,
        "results": items[start : start + size],
        "total_unread_count": request.app[STATE].unread_count(user),
    }
    mutate = request.app[FAULTS].page_mutator
    return answer(mutate(body) if mutate is not None else body)


def _notification_or_404(request: web.Request, user: User) -> dict[str, Any]:
    notification = user.by_id.get(request.match_info["id"])
    if notification is None:
        raise web.HTTPNotFound(
            text=json.dumps({"detail": "No Notification matches the given query."}),
            content_type="application/json",
        )
    return notification


async def detail(request: web.Request) -> web.Response:
    """One notification, with ``updated_at`` as the real serializer adds."""
    notification = _notification_or_404(request, user_of(request))
    return answer(
        {**notification, "updated_at": notification["read_at"] or notification["created_at"]}
    )


async def mark_as_read(request: web.Request) -> web.Response:
    """200 with the read time; 400 when it is already read."""
    user = user_of(request)
    notification = _notification_or_404(request, user)
    if notification["is_read"]:
        return answer({"error": "Notification is already marked as read"}, status=400)
    request.app[STATE].set_read(user, notification["id"], True)
    await _broadcast(request, user, [notification])
    return answer(
        {
            "message": "Notification marked as read",
            "notification_id": notification["id"],
            "read_at": notification["read_at"],
        }
    )


async def mark_as_unread(request: web.Request) -> web.Response:
    """200; idempotent."""
    user = user_of(request)
    notification = _notification_or_404(request, user)
    request.app[STATE].set_read(user, notification["id"], False)
    await _broadcast(request, user, [notification])
    return answer(
        {"message": "Notification marked as unread", "notification_id": notification["id"]}
    )


async def delete(request: web.Request) -> web.Response:
    """204 No Content."""
    user = user_of(request)
    notification = _notification_or_404(request, user)
    request.app[STATE].delete(user, notification["id"])
    await _broadcast(request, user, [])
    return web.Response(status=204)


async def _mark_all(request: web.Request, user: User) -> web.Response:
    changed = request.app[STATE].mark_all_read(user)
    await _broadcast(request, user, changed)
    return answer(
        {"message": f"{len(changed)} notifications marked as read", "affected_count": len(changed)}
    )


async def bulk_actions(request: web.Request) -> web.Response:
    """``{"action": "mark_all_read"}``; 404 when the server offers only the legacy route."""
    if not request.app[FAULTS].offer_bulk_actions:
        raise web.HTTPNotFound()
    user = user_of(request)
    data = await body_of(request)
    if data.get("action") != "mark_all_read":
        return answer({"action": ['"' + str(data.get("action")) + '" is not a valid choice.']}, 400)
    return await _mark_all(request, user)


async def legacy_mark_all_read(request: web.Request) -> web.Response:
    """The older route the mobile app calls; 404 when switched off."""
    if not request.app[FAULTS].offer_legacy_mark_all:
        raise web.HTTPNotFound()
    return await _mark_all(request, user_of(request))


@web.middleware
async def throttle(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """DRF's throttling answer, while a test has switched it on; every request counted."""
    faults = request.app[FAULTS]
    faults.requests[request.path] += 1
    if request.path.startswith("/api/notifications/") and time.monotonic() < faults.throttle_until:
        faults.throttled_answers.append(time.monotonic())
        seconds = faults.retry_after
        detail = f"Request was throttled. Expected available in {seconds} seconds."
        return web.json_response(
            {"detail": detail}, status=429, headers={"Retry-After": str(seconds)}
        )
    return await handler(request)


def add_routes(app: web.Application) -> None:
    """Register every REST route; fixed paths before the ``{id}`` ones."""
    app.router.add_post("/api/auth/login/", login)
    app.router.add_post("/api/auth/token/refresh/", refresh)
    app.router.add_post("/api/auth/logout/", logout)
    app.router.add_get(COLLECTION, list_notifications)
    app.router.add_post(COLLECTION + "bulk_actions/", bulk_actions)
    app.router.add_post(COLLECTION + "mark_all_read/", legacy_mark_all_read)
    app.router.add_get(COLLECTION + "{id}/", detail)
    app.router.add_delete(COLLECTION + "{id}/", delete)
    app.router.add_post(COLLECTION + "{id}/mark_as_read/", mark_as_read)
    app.router.add_post(COLLECTION + "{id}/mark_as_unread/", mark_as_unread)
