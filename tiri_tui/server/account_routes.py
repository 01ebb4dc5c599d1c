"""REST routes of the demo server for the whole account: the unread count's
breakdown by type, clearing every read notification, and the preferences the
phone and the dashboard share (``shared/PROTOCOL.md``).

Each can be switched off (``Faults``) to play a server that lacks it: the
breakdown ignored, the other routes 404. Bad preferences get DRF's field-keyed
400, as the Tiri backend's serializer gives.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tiri_tui.server.app_keys import FAULTS, HUB, STATE
from tiri_tui.server.rest import answer, body_of, user_of

COLLECTION = "/api/notifications/notifications/"
PREFERENCES = "/api/notifications/preferences/notification_preferences/"
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?")
_SWITCHES = ("email_enabled", "push_enabled", "sms_enabled")


async def unread_count(request: web.Request) -> web.Response:
    """The count; with ``include_breakdown=true`` the per-type split and the
    newest unread's time, as the Tiri backend adds them."""
    state, user = request.app[STATE], user_of(request)
    body: dict[str, Any] = {"unread_count": state.unread_count(user)}
    wanted = request.query.get("include_breakdown", "").lower() in ("true", "1")
    if wanted and request.app[FAULTS].offer_breakdown:
        body["type_breakdown"] = state.unread_by_type(user)
        unread = [n for n in user.notifications if not n.get("is_read")]
        body["latest_unread_at"] = unread[0]["created_at"] if unread else None
    return answer(body)


async def clear_read(request: web.Request) -> web.Response:
    """Delete every read notification (the mobile app's "clear read")."""
    if not request.app[FAULTS].offer_clear_read:
        raise web.HTTPNotFound()
    state, user = request.app[STATE], user_of(request)
    deleted = state.clear_read(user)
    await request.app[HUB].broadcast_changes(state, user, [])
    return answer({"message": f"{deleted} read notifications cleared", "deleted_count": deleted})


def _problems(data: dict[str, Any], known: dict[str, Any]) -> dict[str, list[str]]:
    # A PUT is the whole object: DRF's serializer wants every field.
    problems = {key: ["This field is required."] for key in known if key not in data}
    for key in _SWITCHES:
        if key in data and not isinstance(data[key], bool):
            problems[key] = ["Must be a valid boolean."]
    types = data.get("enabled_types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) and t for t in types):
        problems["enabled_types"] = ["Expected a list of items."]
    for key in ("quiet_hours_start", "quiet_hours_end"):
        value = data.get(key)
        if value is not None and not (isinstance(value, str) and _TIME.fullmatch(value)):
            problems[key] = [
                "Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."
            ]
    return problems


async def preferences(request: web.Request) -> web.Response:
    """GET the person's preferences, or PUT them (the whole object)."""
    if not request.app[FAULTS].offer_preferences:
        raise web.HTTPNotFound()
    user = user_of(request)
    if request.method == "PUT" and request.app[FAULTS].preferences_read_only:
        return answer({"detail": 'Method "PUT" not allowed.'}, status=405)
    if request.method == "PUT":
        data = await body_of(request)
        problems = _problems(data, user.preferences)
        if problems:
            return answer(problems, status=400)
        known = {k: v for k, v in data.items() if k in user.preferences}
        user.preferences.update(known)
    prefs = dict(user.preferences)
    for key in ("quiet_hours_start", "quiet_hours_end"):
        value = prefs[key]
        if isinstance(value, str) and len(value) == 5:
            prefs[key] = value + ":00"  # Django's TimeField answers with seconds
    return answer(prefs)


def add_routes(app: web.Application) -> None:
    """Register the account's routes (before the collection's ``{id}`` ones)."""
    app.router.add_get(COLLECTION + "unread_count/", unread_count)
    app.router.add_post(COLLECTION + "clear_read/", clear_read)
    app.router.add_get(PREFERENCES, preferences)
    app.router.add_put(PREFERENCES, preferences)
