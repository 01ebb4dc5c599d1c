"""`tiri-tui doctor`: why a real deployment does not work, step by step.

Each step says ✓ or ✗ (or ! for a warning) and, for a ✗, what to do. Later
steps build on earlier ones (no socket test without a session), and nothing
it prints carries a token: every detail goes through :func:`redact`.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import socket
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from tiri_tui import __version__
from tiri_tui.client import TiriClient
from tiri_tui.connection.api import COLLECTION
from tiri_tui.connection.auth import expires_at
from tiri_tui.settings.config import is_loopback_host
from tiri_tui.wire.errors import LoginRequired, TiriError, login_advice
from tiri_tui.wire.redaction import redact

#: Seconds of clock difference past which JWT expiry goes wrong.
SKEW_WARN, SKEW_FAIL = 5.0, 60.0
TIMEOUT = 5.0


@dataclass(frozen=True)
class Step:
    """One check: ``ok`` True (✓), False (✗) or None (! worth knowing)."""

    name: str
    ok: bool | None
    detail: str
    advice: str = ""

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "!"}[self.ok]
        text = f"{mark} {self.name}: {redact(self.detail)}"
        return text + (f"\n    → {redact(self.advice)}" if self.advice else "")

    def as_json(self) -> str:
        fields = {"step": self.name, "ok": self.ok, "detail": redact(self.detail)}
        if self.advice:
            fields["advice"] = redact(self.advice)
        return json.dumps(fields, ensure_ascii=False)


async def diagnose(client: TiriClient) -> AsyncIterator[Step]:
    """The steps, in order, as they are found."""
    settings = client.settings
    parts = urlsplit(settings.server)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    reach = await _reach(host, port)
    yield reach
    if reach.ok is False:
        return
    if parts.scheme == "https":
        tls = await _tls(client, host, port)
        yield tls
        if tls.ok is False:
            return
    elif is_loopback_host(host):
        yield Step("tls", True, "not TLS (http://), on this machine: nothing crosses a network")
    else:
        yield Step(
            "tls",
            None,
            "not TLS (http://): tokens travel in clear text",
            "use https:// beyond this machine",
        )
    rest, server_date = await _rest(client)
    yield rest
    if rest.ok is False:
        return
    if server_date is not None:
        yield _clock(server_date)
    session = await _session(client)
    yield session
    if session.ok is False:
        return
    yield await _page(client)
    async for step in _socket(client):
        yield step


async def _reach(host: str, port: int) -> Step:
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), TIMEOUT
        )
    except (OSError, TimeoutError) as exc:
        return Step(
            "reach",
            False,
            f"{host} does not resolve ({exc})",
            "check the server URL (--server) and your DNS",
        )
    address = found[0][4][0]
    started = time.perf_counter()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
    except (OSError, TimeoutError) as exc:
        return Step(
            "reach",
            False,
            f"{host} ({address}) port {port}: {exc or 'timed out'}",
            "is the server up, and this port open to you?",
        )
    writer.close()
    elapsed = (time.perf_counter() - started) * 1000
    return Step("reach", True, f"{host} is {address}; TCP port {port} answered in {elapsed:.0f} ms")


async def _tls(client: TiriClient, host: str, port: int) -> Step:
    context = client.ssl or ssl.create_default_context()
    bundle = client.settings.ca_bundle
    extra = f"; CA bundle {bundle}" if bundle else ""
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host), TIMEOUT
        )
    except ssl.SSLCertVerificationError as exc:
        return Step(
            "tls",
            False,
            f"the certificate is not trusted: {exc.verify_message}{extra}",
            "a company CA: --ca-bundle PEM (or ca_bundle in config.toml); --insecure only to look",
        )
    except (OSError, TimeoutError) as exc:
        return Step("tls", False, f"TLS handshake failed: {exc}", "is this port TLS (https://)?")
    cert = writer.get_extra_info("peercert") or {}
    writer.close()
    subject = dict(item[0] for item in cert.get("subject", ())).get("commonName", "?")
    expires = cert.get("notAfter", "?")
    if client.settings.insecure:
        return Step(
            "tls",
            None,
            f"NOT verified (--insecure): {subject}, expires {expires}",
            "drop --insecure once the CA is trusted",
        )
    return Step("tls", True, f"verified: {subject}, expires {expires}{extra}")


async def _rest(client: TiriClient) -> tuple[Step, float | None]:
    url = f"{client.settings.server}{COLLECTION}unread_count/"
    try:
        response = await client.http.get(url, timeout=TIMEOUT)
    except Exception as exc:  # httpx's errors, whatever the transport says
        return Step(
            "rest", False, f"GET {url}: {type(exc).__name__}: {exc}", "check the server URL"
        ), None
    date = response.headers.get("date")
    server_date = email.utils.parsedate_to_datetime(date).timestamp() if date else None
    if "json" not in response.headers.get("content-type", ""):
        kind = response.headers.get("content-type", "no type")
        return (
            Step(
                "rest",
                False,
                f"{url} answered {response.status_code} with {kind}, not JSON",
                "a proxy in the way, or a wrong base URL (--server is the site, not the API)",
            ),
            server_date,
        )
    return Step(
        "rest", True, f"{COLLECTION} answers JSON ({response.status_code} without a token)"
    ), server_date


def _clock(server_date: float) -> Step:
    skew = time.time() - server_date
    detail = f"this machine is {abs(skew):.1f} s {'ahead of' if skew > 0 else 'behind'} the server"
    if abs(skew) >= SKEW_FAIL:
        return Step("clock", False, detail, "set the clock (NTP): token expiry is judged by it")
    if abs(skew) >= SKEW_WARN:
        return Step("clock", None, detail, "tokens may look expired early or late: sync the clock")
    return Step("clock", True, detail)


async def _session(client: TiriClient) -> Step:
    auth, server = client.auth, client.settings.server
    session = auth.session
    if session is None:
        return Step("session", False, f"not logged in to {server}", login_advice(server))
    where = auth.stored_where()
    exp, _ = expires_at(session.access)
    left = "unknown expiry" if exp is None else f"access token expires in {exp - time.time():.0f} s"
    try:
        await auth.access_token(force_refresh=True)
    except LoginRequired:
        return Step(
            "session",
            False,
            f"stored in {where}; the server refused its refresh token",
            login_advice(server),
        )
    except TiriError as exc:
        return Step(
            "session",
            False,
            f"stored in {where}; refreshing failed: {exc}",
            "try again; see the log for why",
        )
    return Step(
        "session", True, f"stored in {where}; {left}; refresh works (the rotated token is stored)"
    )


async def _page(client: TiriClient) -> Step:
    try:
        page = await client.api.list(page_size=1)
    except TiriError as exc:
        return Step(
            "notifications",
            False,
            f"the first page failed: {exc}",
            "see the log (--log-level debug)",
        )
    return Step("notifications", True, f"{page.count:,} notifications on the server")


async def _socket(client: TiriClient) -> AsyncIterator[Step]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake, InvalidStatus
    from websockets.typing import Origin

    settings = client.settings
    token = await client.auth.access_token()
    url = f"{settings.socket_url}{'&' if '?' in settings.socket_url else '?'}token={quote(token, safe='')}"
    tls: dict[str, Any] = (
        {"ssl": client.ssl} if client.ssl and settings.socket_url.startswith("wss:") else {}
    )
    started = time.perf_counter()
    try:
        ws = await connect(
            url,
            origin=Origin(settings.ws_origin),
            additional_headers={"Authorization": f"Bearer {token}"},
            user_agent_header=f"tiri-tui/{__version__} (doctor)",
            open_timeout=TIMEOUT,
            proxy=None,
            **tls,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        yield _refused(
            status,
            settings.socket_url,
            settings.ws_origin,
            settings.server,
            chosen=bool(settings.origin),
        )
        return
    except (InvalidHandshake, OSError, TimeoutError) as exc:
        yield Step(
            "websocket",
            False,
            f"{settings.socket_url}: {type(exc).__name__}: {exc}",
            "check ws_url, or what sits between you and the server",
        )
        return
    handshake = (time.perf_counter() - started) * 1000
    yield Step(
        "websocket",
        True,
        f"101 Switching Protocols in {handshake:.0f} ms ({settings.socket_url}, "
        f"Origin {settings.ws_origin}{' from the origin setting' if settings.origin else ''})",
    )
    try:
        yield await _ack(ws)
        started = time.perf_counter()
        await asyncio.wait_for(await ws.ping(), TIMEOUT)
        yield Step("ping", True, f"round trip {(time.perf_counter() - started) * 1000:.1f} ms")
    except (TimeoutError, OSError) as exc:
        yield Step(
            "ping",
            False,
            f"no pong within {TIMEOUT:.0f} s ({exc or 'timed out'})",
            "a proxy that buffers or drops WebSocket control frames",
        )
    finally:
        await ws.close()


def _refused(status: int, url: str, origin: str, server: str, *, chosen: bool) -> Step:
    if status == 403:
        whence = "from the origin setting" if chosen else "the server's own"
        scheme = urlsplit(origin).scheme
        try_it = (
            f"try another with `tiri-tui --server {server} --origin {scheme}://WEB-APP-HOST "
            "doctor` "
            "(WEB-APP-HOST: the host[:port] you open the server's web app at in a browser); "
            f'once it passes, keep it: origin = "{scheme}://WEB-APP-HOST" in config.toml '
            "(or TIRI_ORIGIN)"
        )
        return Step(
            "websocket",
            False,
            f"{url} refused the handshake (403) with Origin {origin} ({whence}), though the "
            "same token was just accepted over REST",
            f"the likely refusal is an origin check (Channels' OriginValidator or "
            f"AllowedHostsOriginValidator) of the Origin sent, {origin}: the socket may accept "
            f"only its web app's origin — {try_it}. Or the server's ALLOWED_HOSTS must "
            "include the host, or ws_url must be the address the server expects",
        )
    return Step(
        "websocket",
        False,
        f"{url} answered HTTP {status} where 101 Switching Protocols was expected",
        "a proxy that drops the Upgrade header, or a wrong route (ws_url; Channels serves /ws/notifications/)",
    )


async def _ack(ws: Any) -> Step:
    try:
        raw = await asyncio.wait_for(ws.recv(), 3.0)
        frame = json.loads(raw)
    except TimeoutError:
        return Step("connection_ack", None, "none within 3 s (allowed: some servers send none)")
    except (ValueError, OSError) as exc:
        return Step(
            "connection_ack",
            False,
            f"the first frame was not JSON ({exc})",
            "is ws_url the notifications route?",
        )
    if isinstance(frame, dict) and frame.get("type") == "connection_ack":
        return Step("connection_ack", True, f"for user {frame.get('user_id', '?')}")
    kind = frame.get("type") if isinstance(frame, dict) else type(frame).__name__
    return Step(
        "connection_ack", None, f"the first frame was {kind!r}, not connection_ack (allowed)"
    )
