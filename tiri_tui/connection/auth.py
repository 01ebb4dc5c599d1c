"""simplejwt sessions: login, single-flight refresh, logout, and where tokens live.

Tokens are stored per server URL, in the system keyring when the optional
``keyring`` package works, else in a 0600 file in the platformdirs config dir.
Beside either, a lock file makes refresh single-flight across the processes
that share the session (see :mod:`tiri_tui.connection.session_lock`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from msgspec import Struct
from msgspec.structs import asdict

from tiri_tui.connection.session_lock import SessionLock
from tiri_tui.wire.errors import (
    ApiError,
    LoginFailed,
    NotLoggedIn,
    ServerUnreachable,
    SessionExpired,
    message_from_body,
)
from tiri_tui.wire.redaction import redact, remember_secret

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

LOGIN_PATH = "/api/auth/login/"
REFRESH_PATH = "/api/auth/token/refresh/"
LOGOUT_PATH = "/api/auth/logout/"
#: Refresh this long before expiry, or a quarter of the lifetime for short tokens.
REFRESH_MARGIN = 60.0


class Session(Struct, frozen=True):
    """A logged-in session: the two tokens and who they belong to."""

    access: str
    refresh: str
    email: str | None = None
    user_id: str | None = None


class TokenStore(Protocol):
    """Where sessions are kept, one per server URL."""

    def load(self, server: str) -> Session | None: ...
    def save(self, server: str, session: Session) -> None: ...
    def clear(self, server: str) -> None: ...
    def lock_path(self, server: str) -> Path:
        """The lock file every process takes to refresh the session of ``server``."""
        ...


def _file_name(server: str, suffix: str) -> str:
    digest = hashlib.sha256(server.encode()).hexdigest()[:16]
    return f"session-{digest}{suffix}"


class FileTokenStore:
    """Sessions as JSON files: directory 0700, files 0600, written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, server: str) -> Path:
        """The file holding the session of ``server``."""
        return self.directory / _file_name(server, ".json")

    def lock_path(self, server: str) -> Path:
        """The lock file beside the session's file."""
        return self.directory / _file_name(server, ".lock")

    def load(self, server: str) -> Session | None:
        path = self.path_for(server)
        try:
            mode = path.stat().st_mode
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("the session file %s is unreadable; ignoring it", path)
            return None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("the session file %s is readable by others; fixing it to 0600", path)
            with contextlib.suppress(OSError):
                path.chmod(0o600)
        try:
            session = Session(**{k: data.get(k) for k in ("access", "refresh", "email", "user_id")})
        except TypeError:
            return None
        if not isinstance(session.access, str) or not isinstance(session.refresh, str):
            return None
        remember_secret(session.access)
        remember_secret(session.refresh)
        return session

    def save(self, server: str, session: Session) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.directory.chmod(0o700)
        body = json.dumps({"server": server, **asdict(session)})
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".session-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path_for(server))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def clear(self, server: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(server).unlink()


class Keyring(Protocol):
    """The part of the ``keyring`` package's API the store uses."""

    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


class KeyringTokenStore:
    """Sessions in the system keyring (only used when a real backend works).

    The keyring has no locks: the refresh lock lives in ``lock_directory``
    (the directory the file store would use).
    """

    SERVICE = "tiri-tui"

    def __init__(self, keyring_module: Keyring, lock_directory: Path) -> None:
        self._keyring = keyring_module
        self._lock_directory = lock_directory

    def lock_path(self, server: str) -> Path:
        """The lock file in the config dir, where the file store would keep the session."""
        return self._lock_directory / _file_name(server, ".lock")

    def load(self, server: str) -> Session | None:
        raw = self._keyring.get_password(self.SERVICE, server)
        if not raw:
            return None
        try:
            session = Session(**json.loads(raw))
        except (ValueError, TypeError):
            return None
        remember_secret(session.access)
        remember_secret(session.refresh)
        return session

    def save(self, server: str, session: Session) -> None:
        self._keyring.set_password(self.SERVICE, server, json.dumps(asdict(session)))

    def clear(self, server: str) -> None:
        with contextlib.suppress(Exception):
            self._keyring.delete_password(self.SERVICE, server)


def default_token_store(directory: Path, use_keyring: bool = True) -> TokenStore:
    """The keyring when installed and usable, else the file store in ``directory``."""
    if use_keyring:
        try:
            import keyring
            from keyring.backends import fail

            if not isinstance(keyring.get_keyring(), fail.Keyring):
                return KeyringTokenStore(keyring, directory)
        except Exception:  # no keyring package, or a backend that cannot start
            pass
    return FileTokenStore(directory)


def expires_at(token: str) -> tuple[float | None, float | None]:
    """(exp, iat) of a JWT, read without verifying: the client has no key."""
    import jwt  # first needed with the network (and imported with it, on a thread)

    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None, None
    exp, iat = claims.get("exp"), claims.get("iat")
    return (
        float(exp) if isinstance(exp, int | float) else None,
        float(iat) if isinstance(iat, int | float) else None,
    )


def needs_refresh(token: str, now: float) -> bool:
    """Whether ``token`` expires within the refresh margin.

    The margin is 60 s, or a quarter of the lifetime when tokens are short,
    so a 5 s token is refreshed about a second before it expires.
    """
    exp, iat = expires_at(token)
    if exp is None:
        return False
    margin = REFRESH_MARGIN
    if iat is not None and exp > iat:
        margin = min(margin, (exp - iat) / 4)
    return now >= exp - margin


async def _post(
    http: httpx.AsyncClient,
    path: str,
    body: dict[str, object],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    import httpx  # loaded with the client that called: a lookup, not an import

    try:
        return await http.post(path, json=body, headers=headers)
    except httpx.TransportError as exc:
        detail = redact(str(exc)) or type(exc).__name__
        where = str(http.base_url).rstrip("/")
        raise ServerUnreachable(f"cannot reach {where}: {detail}") from None


def _json_body(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text


class Auth:
    """The session of one server: login, token provider, logout.

    :meth:`access_token` is the token provider the WebSocket worker and the
    REST client call. Refresh is single-flight: concurrent callers wait for
    the one refresh in progress, because servers that rotate refresh tokens
    blacklist the used one, and a second refresh with it would end the session.
    Across processes sharing the stored session too: a refresh holds the
    store's lock file, and first reads what the store holds now, so a session
    another process has just refreshed is used as it is, never refreshed again.
    """

    def __init__(
        self,
        server: str,
        http: Callable[[], httpx.AsyncClient],
        store: TokenStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.server = server
        self._http = http
        self._store = store
        self._clock = clock
        self._session = store.load(server)
        self._lock = SessionLock(store.lock_path(server))
        self._refreshing: asyncio.Task[str] | None = None
        self.refresh_count = 0

    def stored_where(self) -> str:
        """Where the session is kept, for people (a file's path, or the keyring)."""
        if isinstance(self._store, FileTokenStore):
            return str(self._store.path_for(self.server))
        return "the system keyring"

    @property
    def session(self) -> Session | None:
        """The current session, if logged in."""
        return self._session

    async def login(self, email: str, password: str) -> Session:
        """Log in; store and return the session. Raise LoginFailed with the server's words."""
        response = await _post(self._http(), LOGIN_PATH, {"email": email, "password": password})
        body = _json_body(response)
        if response.status_code in (400, 401, 403):
            raise LoginFailed(message_from_body(body) or "the server refused these credentials")
        if response.status_code != 200:
            raise ApiError(response.status_code, message_from_body(body))
        tokens = body.get("tokens") if isinstance(body, dict) else None
        if not isinstance(tokens, dict) or not isinstance(tokens.get("access"), str):
            # Some deployments answer with simplejwt's bare {"access", "refresh"}.
            tokens = body if isinstance(body, dict) else {}
        access, refresh = tokens.get("access"), tokens.get("refresh")
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise ApiError(200, "the login answer carries no tokens")
        user = body.get("user") if isinstance(body, dict) else None
        user_id = user.get("id") if isinstance(user, dict) else None
        session = Session(access, refresh, email, None if user_id is None else str(user_id))
        async with self._lock.held():  # not in the middle of another process's refresh
            await self._set(session)
        return session

    async def access_token(self, force_refresh: bool = False) -> str:
        """A usable access token, refreshed first when near expiry or when forced."""
        session = self._session
        if session is None:
            stored = await asyncio.to_thread(self._store.load, self.server)
            # A login may have finished while the store was read: keep its session
            # (the read may have found none), never overwrite it with the read's.
            session = self._session = self._session or stored
            if session is None:
                raise NotLoggedIn(self.server)
        if not force_refresh and not needs_refresh(session.access, self._clock()):
            return session.access
        if self._refreshing is None:
            self._refreshing = asyncio.ensure_future(self._refresh_shared(session))
            self._refreshing.add_done_callback(lambda _: setattr(self, "_refreshing", None))
        return await asyncio.shield(self._refreshing)

    async def _refresh_shared(self, session: Session) -> str:
        """Refresh ``session`` unless another process sharing the store just did."""
        async with self._lock.held():
            stored = await asyncio.to_thread(self._store.load, self.server)
            if stored is not None and (stored.access, stored.refresh) != (
                session.access,
                session.refresh,
            ):
                if not needs_refresh(stored.access, self._clock()):
                    self._session = stored
                    log.debug("using the session another process has just refreshed")
                    return stored.access
                # Ours may have been rotated away since: never send it again.
                session = stored
            return await self._refresh(session)

    async def _refresh(self, session: Session) -> str:
        """One refresh call; the caller holds the lock, so nothing else writes the store."""
        response = await _post(self._http(), REFRESH_PATH, {"refresh": session.refresh})
        if response.status_code in (400, 401):
            # A writer that does not take the lock (an older tiri-tui) may have
            # rotated it: adopt theirs. Never clear a session someone else stored.
            stored = await asyncio.to_thread(self._store.load, self.server)
            if stored is not None and stored.refresh != session.refresh:
                self._session = stored
                if not needs_refresh(stored.access, self._clock()):
                    return stored.access
                return await self._refresh(stored)
            self._session = None
            await asyncio.to_thread(self._store.clear, self.server)
            raise SessionExpired(self.server)
        if response.status_code != 200:
            raise ApiError(response.status_code, message_from_body(_json_body(response)))
        body = _json_body(response)
        access = body.get("access") if isinstance(body, dict) else None
        if not isinstance(access, str):
            raise ApiError(200, "the refresh answer carries no access token")
        rotated = body.get("refresh") if isinstance(body, dict) else None
        refresh = rotated if isinstance(rotated, str) and rotated else session.refresh
        self.refresh_count += 1
        await self._set(Session(access, refresh, session.email, session.user_id))
        log.debug("access token refreshed (%d so far)", self.refresh_count)
        return access

    async def logout(self) -> None:
        """Tell the server (best effort), then forget the session whatever it says."""
        session = self._session or await asyncio.to_thread(self._store.load, self.server)
        try:
            if session is not None:
                token = await self.access_token()
                await _post(
                    self._http(),
                    LOGOUT_PATH,
                    {"refresh": self._session.refresh if self._session else session.refresh},
                    headers={"Authorization": f"Bearer {token}"},
                )
        except Exception as exc:  # logout must forget locally whatever happens
            log.info("logout call failed (%s); forgetting the session anyway", type(exc).__name__)
        finally:
            self._session = None
            async with self._lock.held():
                await asyncio.to_thread(self._store.clear, self.server)

    async def _set(self, session: Session) -> None:
        """Use and store ``session``; the caller holds the lock."""
        remember_secret(session.access)
        remember_secret(session.refresh)
        self._session = session
        # Written (and fsynced) before the new tokens are used, so a crash
        # never loses a rotated refresh token; on a thread, not the loop.
        await asyncio.to_thread(self._store.save, self.server, session)
