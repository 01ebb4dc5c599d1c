"""REST routes of the demo server for acting on a notification: a request's
volunteers, offers to help, completing a request, chat rooms, approvals of
new members (``shared/PROTOCOL.md``, "Acting on a notification").

Shapes, statuses and error bodies are those of the Tiri backend (DRF): 404
``{"detail": ...}`` for what does not exist, 403 for what is not the
caller's, 400 ``{"error": ...}`` for what is already done.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tiri_tui.server.app_keys import FAULTS, HUB, STATE, WORLD
from tiri_tui.server.rest import answer, body_of, positive_int, user_of
from tiri_tui.server.state import User
from tiri_tui.server.world import Refused

REQUESTS = "/api/requests/{request_id}/"
ROOMS = "/api/chat/rooms/{room_id}/"
APPROVALS = "/api/auth/approvals/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refusals(handler: Handler) -> Handler:
    """A :class:`Refused` from the world becomes the status and body it carries;
    the fault switches apply (routes missing, answers cut after the change)."""

    async def respond(request: web.Request) -> web.StreamResponse:
        faults = request.app[FAULTS]
        if not faults.offer_acting_routes:
            raise web.HTTPNotFound()
        if request.method == "POST":
            faults.acting_posts += 1
        try:
            response = await handler(request)
        except Refused as refused:
            return answer(refused.body, status=refused.status)
        if request.method == "POST" and faults.cut_acting_answers > 0 and request.transport:
            faults.cut_acting_answers -= 1
            # Applied, and the answer never arrives: the connection drops.
            request.transport.abort()
        elif request.method == "POST" and faults.slow_acting_answer > 0:
            delay, faults.slow_acting_answer = faults.slow_acting_answer, 0.0
            await asyncio.sleep(delay)  # applied; the answer comes too late
        return response

    return respond


# -- requests ------------------------------------------------------------------------------
async def request_detail(request: web.Request) -> web.Response:
    user = user_of(request)
    world = request.app[WORLD]
    return answer(world.request(request.match_info["request_id"]).public(world.person(user)))


async def volunteer_requests(request: web.Request) -> web.Response:
    user = user_of(request)
    found = request.app[WORLD].volunteer_requests(user, request.match_info["request_id"])
    return answer({"volunteer_requests": found, "count": len(found)})


async def _decide_volunteer(request: web.Request, approve: bool) -> web.Response:
    user = user_of(request)
    data = await body_of(request)
    words, applied = request.app[WORLD].decide_volunteer(
        user, request.match_info["request_id"], data.get("volunteer_id"), approve
    )
    return answer({"message": words, "volunteer_request": applied.public()})


async def approve_volunteer(request: web.Request) -> web.Response:
    return await _decide_volunteer(request, True)


async def reject_volunteer(request: web.Request) -> web.Response:
    return await _decide_volunteer(request, False)


async def accept(request: web.Request) -> web.Response:
    """An offer to help, with the person's message (the app sends it under several names)."""
    user = user_of(request)
    data = await body_of(request)
    message = data.get("message", data.get("volunteer_message", ""))
    offer = request.app[WORLD].offer_help(user, request.match_info["request_id"], message)
    return answer(
        {"message": "Your offer to help was sent", "volunteer_request": offer.public()}, status=201
    )


async def cancel_acceptance(request: web.Request) -> web.Response:
    user = user_of(request)
    await body_of(request)
    request.app[WORLD].withdraw(user, request.match_info["request_id"])
    return answer({"message": "Your offer to help was withdrawn"})


async def complete(request: web.Request) -> web.Response:
    user = user_of(request)
    data = await body_of(request)
    if not isinstance(data.get("feedback_list", []), list):
        return answer({"feedback_list": ["Expected a list of items."]}, status=400)
    done = request.app[WORLD].complete(user, request.match_info["request_id"])
    return answer({"message": f"“{done.title}” marked complete", "status": done.status})


# -- chat ----------------------------------------------------------------------------------
async def room_messages(request: web.Request) -> web.Response:
    """A DRF page of the room's messages, newest first."""
    user = user_of(request)
    room = request.app[WORLD].room(user, request.match_info["room_id"])
    query = request.rel_url.query
    page = positive_int(query.get("page"), 1)
    size = min(positive_int(query.get("page_size"), 20) or 20, 100)
    newest_first = room.messages[::-1]
    pages = max(1, -(-len(newest_first) // size))
    if page is None or page > pages:
        return answer({"detail": "Invalid page."}, status=404)
    url = request.url
    start = (page - 1) * size
    return answer(
        {
            "count": len(newest_first),
            "next": str(url.update_query(page=str(page + 1))) if page < pages else None,
            "previous": str(url.update_query(page=str(page - 1))) if page > 1 else None,
            "results": newest_first[start : start + size],
        }
    )


async def send_message(request: web.Request) -> web.Response:
    """The message (201); the other member, when an account, gets a notification."""
    user = user_of(request)
    data = await body_of(request)
    world, state = request.app[WORLD], request.app[STATE]
    message, other = world.post(user, request.match_info["room_id"], data.get("content"))
    account = state.users.get(other.id)
    if account is not None and account.id != user.id:
        await _notify(request, account, _message_notification(user, message))
    return answer(message, status=201)


def _message_notification(sender: User, message: dict[str, Any]) -> dict[str, Any]:
    name = sender.first_name or sender.email
    return {
        "title": "New Message",
        "message": f"{name}: {message['content']}",
        "notification_type": "new_message",
        "notification_type_display": "New Message",
        "priority": "normal",
        "created_by_name": name,
        "extra_data": {"chat_room_id": message["chat_room"], "sender_id": sender.id},
    }


async def _notify(request: web.Request, user: User, fields: dict[str, Any]) -> None:
    state = request.app[STATE]
    notification = state.create_notification(user, **fields)
    await request.app[HUB].broadcast_changes(state, user, [notification])


async def mark_room_read(request: web.Request) -> web.Response:
    user = user_of(request)
    await body_of(request)
    count = request.app[WORLD].mark_room_read(user, request.match_info["room_id"])
    return answer({"message": f"{count} messages marked as read", "marked_count": count})


# -- approvals -------------------------------------------------------------------------------
async def pending_approvals(request: web.Request) -> web.Response:
    user = user_of(request)
    found = request.app[WORLD].pending_approvals(user)
    return answer({"approvals": found, "count": len(found)})


async def _decide_member(request: web.Request, approve: bool) -> web.Response:
    user = user_of(request)
    data = await body_of(request)
    reason = data.get("rejection_reason")
    if reason is not None and not isinstance(reason, str):
        raise web.HTTPBadRequest(
            text=json.dumps({"rejection_reason": ["Not a valid string."]}),
            content_type="application/json",
        )
    words, approval = request.app[WORLD].decide_member(
        user, request.match_info["approval_id"], approve
    )
    return answer({"message": words, "approval": approval.public()})


async def approve_member(request: web.Request) -> web.Response:
    return await _decide_member(request, True)


async def reject_member(request: web.Request) -> web.Response:
    return await _decide_member(request, False)


def add_routes(app: web.Application) -> None:
    """Register every route of the section."""
    routes: tuple[tuple[str, str, Handler], ...] = (
        ("GET", REQUESTS, request_detail),
        ("GET", REQUESTS + "volunteer-requests/", volunteer_requests),
        ("POST", REQUESTS + "approve-volunteer/", approve_volunteer),
        ("POST", REQUESTS + "reject-volunteer/", reject_volunteer),
        ("POST", REQUESTS + "accept/", accept),
        ("POST", REQUESTS + "cancel_acceptance/", cancel_acceptance),
        ("POST", REQUESTS + "complete/", complete),
        ("GET", ROOMS + "messages/", room_messages),
        ("POST", ROOMS + "send_message/", send_message),
        ("POST", ROOMS + "mark_read/", mark_room_read),
        ("GET", APPROVALS + "pending/", pending_approvals),
        ("POST", APPROVALS + "{approval_id}/approve/", approve_member),
        ("POST", APPROVALS + "{approval_id}/reject/", reject_member),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, _refusals(handler))
