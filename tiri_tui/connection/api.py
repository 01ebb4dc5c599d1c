"""The REST client for the notifications API (httpx, async), and its request gate.

Every call goes through one gate (:meth:`TiriApi._request`): it carries the
Bearer token (a 401 refreshes once and retries once), holds every call while
the server's Retry-After runs, tries a read again after a transient failure
when asked to, and tells whoever subscribed when only a new login can help.
Errors come out as the typed exceptions of errors.py, never as tracebacks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from tiri_tui.connection.auth import Auth
from tiri_tui.wire.errors import (
    ApiError,
    LoginRequired,
    NotSent,
    RateLimited,
    ServerUnreachable,
    TiriError,
    is_transient,
    message_from_body,
)
from tiri_tui.wire.models import Notification, Page, WireError
from tiri_tui.wire.redaction import redact

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

COLLECTION = "/api/notifications/notifications/"
MAX_PAGE_SIZE = 100
#: A page body larger than this is refused unread (a hostile or broken server).
MAX_BODY_BYTES = 8 << 20
#: How long every call waits after a 429 that did not say how long (no Retry-After).
RATE_LIMIT_PAUSE = 30.0
#: Pause before the second try of a read that failed transiently; more for each later one.
RETRY_PAUSE = 0.1


def origin_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in, for same-origin checks."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return scheme, (parts.hostname or "").lower(), parts.port or default


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        import email.utils  # only for a Retry-After date: kept off start-up

        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


class TiriApi:
    """One server's notifications API on behalf of one logged-in session.

    It owns the server's Retry-After: after a 429, whoever made the call,
    every call fails at once with :class:`RateLimited` until the time the
    server asked for has passed — the outbox, the walks and a status bar's
    count all wait alike, and none asks the server again meanwhile. It owns
    "login required" too: when the session cannot be refreshed, whoever made
    the call, every subscriber of :meth:`when_login_required` hears it.
    """

    def __init__(
        self,
        server: str,
        http: Callable[[], httpx.AsyncClient],
        auth: Auth,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.server = server.rstrip("/")
        self._sleep = sleep
        self._http = http
        self._auth = auth
        self._clock = clock
        #: Which mark-all route this server answers: None until learned.
        self.mark_all_route: str | None = None
        #: No call before this moment (``clock``): the server's last Retry-After.
        self._paused_until = 0.0
        self._login_watchers: list[Callable[[], None]] = []

    def when_login_required(self, watcher: Callable[[], None]) -> Callable[[], None]:
        """Call ``watcher`` whenever a call finds that only a new login helps;
        returns a function that stops it."""
        self._login_watchers.append(watcher)
        return lambda: self._login_watchers.remove(watcher)

    def paused_for(self) -> float:
        """Seconds every call must still wait, as the server asked (0: none)."""
        return max(0.0, self._paused_until - self._clock())

    def _check_not_paused(self) -> None:
        wait = self.paused_for()
        if wait > 0:
            raise RateLimited(wait)

    def _rate_limited(self, response: httpx.Response) -> RateLimited:
        wait = _retry_after(response)
        self._paused_until = self._clock() + (RATE_LIMIT_PAUSE if wait is None else wait)
        return RateLimited(wait)

    async def _request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        accept: tuple[int, ...] = (200,),
        attempts: int = 1,
    ) -> httpx.Response:
        """The gate every call goes through (``attempts``: tries of a read that
        fails transiently; a 429 is never tried again: the pause is the server's)."""
        for attempt in range(attempts):
            try:
                return await self._once(method, url, json, params, accept)
            except LoginRequired:
                for watcher in list(self._login_watchers):
                    watcher()
                raise
            except TiriError as exc:
                if not is_transient(exc) or isinstance(exc, RateLimited):
                    raise
                if attempt == attempts - 1:
                    raise
                await self._sleep(RETRY_PAUSE * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        url: str,
        json: Any,
        params: dict[str, str] | None,
        accept: tuple[int, ...],
    ) -> httpx.Response:
        if url.startswith("http") and origin_of(url) != origin_of(self.server):
            # Never hand the token to another host, whatever a page says.
            raise ApiError(0, "refusing to follow a link to another server")
        self._check_not_paused()
        response = await self._send(method, url, json, params, await self._auth.access_token())
        if response.status_code == 401:
            token = await self._auth.access_token(force_refresh=True)
            response = await self._send(method, url, json, params, token)
        if response.status_code in accept:
            return response
        if response.status_code == 429:
            raise self._rate_limited(response)
        body = _body(response)
        raise ApiError(
            response.status_code, message_from_body(body), structured=not isinstance(body, str)
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        accept: tuple[int, ...] = (200,),
    ) -> Any:
        """One call of the wider Tiri API through the gate, tried once: its
        parsed body (text when not JSON). ``path`` is built by the caller from
        checked ids; ``json`` is sent as given (a person's text as typed)."""
        return _body(await self._request(method, path, json=json, params=params, accept=accept))

    async def _send(
        self, method: str, url: str, json: Any, params: dict[str, str] | None, token: str
    ) -> httpx.Response:
        import httpx  # loaded with the client: a lookup, not an import

        http = self._http()
        request = http.build_request(
            method, url, json=json, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        try:
            response = await http.send(request, stream=True)
            try:
                body = await _read_bounded(response)
            finally:
                await response.aclose()
        except httpx.ConnectError as exc:
            # Refused, no route, no name: the request never left.
            detail = redact(str(exc)) or type(exc).__name__
            raise NotSent(f"cannot reach {self.server}: {detail}") from None
        except httpx.ConnectTimeout:
            raise NotSent(f"{self.server} did not take the connection in time") from None
        except httpx.TimeoutException:
            raise ServerUnreachable(f"{self.server} did not answer in time") from None
        except httpx.TransportError as exc:
            detail = redact(str(exc)) or type(exc).__name__
            raise ServerUnreachable(f"cannot reach {self.server}: {detail}") from None
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-encoding"]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)

    # -- reading --------------------------------------------------------------------------
    async def list(
        self,
        *,
        page: int = 1,
        page_size: int = 20,
        is_read: bool | None = None,
        notification_type: str | None = None,
        priority: str | None = None,
        search: str | None = None,
        attempts: int = 1,
    ) -> Page:
        """One page of notifications, newest first, with the server's filters
        (``attempts``: tries when it fails transiently)."""
        params = {"page": str(page), "page_size": str(min(page_size, MAX_PAGE_SIZE))}
        if is_read is not None:
            params["is_read"] = "true" if is_read else "false"
        if notification_type:
            params["type"] = notification_type
        if priority:
            params["priority"] = priority
        if search:
            params["search"] = search
        return _page(await self._request("GET", COLLECTION, params=params, attempts=attempts))

    async def follow(self, next_url: str, *, attempts: int = 1) -> Page:
        """The page an absolute ``next`` URL points at (same server only)."""
        return _page(await self._request("GET", next_url, attempts=attempts))

    async def detail(self, notification_id: str) -> Notification:
        """One notification by id."""
        response = await self._request("GET", _item(notification_id))
        try:
            return Notification.from_dict(_body(response))
        except WireError as exc:
            raise ApiError(200, f"malformed notification: {exc.reason}") from None

    async def unread_count(self) -> int:
        """The authoritative unread count."""
        body = _body(await self._request("GET", COLLECTION + "unread_count/"))
        count = body.get("unread_count") if isinstance(body, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ApiError(200, "malformed unread count")
        return count

    async def accepts_token(self, token: str) -> bool:
        """Whether REST takes this very access token (no refresh, no retry).

        Asked when the socket refuses a freshly refreshed token: Channels
        answers 403 for a refused Origin as for a refused token, and only REST
        can tell them apart. Raises a TiriError when the answer says neither.
        """
        self._check_not_paused()
        response = await self._send("GET", COLLECTION + "unread_count/", None, None, token)
        if response.status_code in (401, 403):
            return False
        if 200 <= response.status_code < 300:
            return True
        if response.status_code == 429:
            raise self._rate_limited(response)
        raise ApiError(response.status_code, message_from_body(_body(response)))

    # -- writing ----------------------------------------------------------------------------
    async def mark_read(self, notification_id: str) -> None:
        """Mark read; the 400 a server gives for "already read" counts as success."""
        await self._request("POST", _item(notification_id) + "mark_as_read/", accept=(200, 400))

    async def mark_unread(self, notification_id: str) -> None:
        """Mark unread."""
        await self._request("POST", _item(notification_id) + "mark_as_unread/")

    async def delete(self, notification_id: str) -> None:
        """Delete (204, or 200 on some deployments)."""
        await self._request("DELETE", _item(notification_id), accept=(200, 202, 204))

    async def mark_all_read(self) -> int | None:
        """Mark all read: ``bulk_actions/`` first, the legacy route on 404/405, remembered."""
        routes = ["bulk", "legacy"]
        if self.mark_all_route == "legacy":
            routes.reverse()
        for index, route in enumerate(routes):
            try:
                if route == "bulk":
                    response = await self._request(
                        "POST", COLLECTION + "bulk_actions/", json={"action": "mark_all_read"}
                    )
                else:
                    response = await self._request("POST", COLLECTION + "mark_all_read/")
            except ApiError as exc:
                if exc.status in (404, 405) and index == 0:
                    continue
                raise
            self.mark_all_route = route
            body = _body(response)
            affected = body.get("affected_count") if isinstance(body, dict) else None
            return affected if isinstance(affected, int) else None
        raise AssertionError("unreachable")  # pragma: no cover


def _item(notification_id: str) -> str:
    return f"{COLLECTION}{quote(notification_id, safe='')}/"


async def _read_bounded(response: httpx.Response) -> bytes:
    """The body, refusing one over MAX_BODY_BYTES before it is all in memory."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(response.status_code, "the answer is too large")
    body = bytearray()
    # Decoded bytes are what is bounded: a small gzip body can inflate hugely.
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(response.status_code, "the answer is too large")
    return bytes(body)


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _page(response: httpx.Response) -> Page:
    try:
        page = Page.from_dict(_body(response))
    except WireError as exc:
        raise ApiError(response.status_code, f"malformed page: {exc.reason}") from None
    for reason in page.rejected:
        log.warning("rejected a notification from the server: %s", reason)
    return page
