"""The few typed errors that reach users, each with a human message.

Every message here is safe to show: no token, no traceback, no raw payload.
"""

from __future__ import annotations


class TiriError(Exception):
    """Base of every error tiri-tui shows to a user."""


class LoginRequired(TiriError):
    """Only a (new) login helps: nothing is worth retrying until then."""


def login_advice(server: str) -> str:
    """The command that logs in to ``server``, as the user would paste it
    (with ``--server``: without it, it would log in to the default server)."""
    return f"run `tiri-tui --server {server} login`"


class NotLoggedIn(LoginRequired):
    """No stored session for this server."""

    def __init__(self, server: str) -> None:
        super().__init__(f"not logged in to {server} — {login_advice(server)}")


class SessionExpired(LoginRequired):
    """The refresh token was refused: only a new login helps."""

    def __init__(self, server: str) -> None:
        super().__init__(f"session expired — {login_advice(server)}")


class LoginFailed(TiriError):
    """The server refused the credentials; carries the server's own message."""


class ServerUnreachable(TiriError):
    """No answer at the network level (refused, DNS, timeout, TLS)."""


class NotSent(ServerUnreachable):
    """The server could not be reached at all: the request never left."""


class ApiError(TiriError):
    """The server answered with an error status (``structured``: its body was
    JSON, as DRF's errors are, not a web server's page)."""

    def __init__(self, status: int, message: str, *, structured: bool = False) -> None:
        if not status:
            text = message
        elif message:
            text = f"server answered {status}: {message}"
        else:
            text = f"server answered {status}"
        super().__init__(text)
        self.status = status
        self.detail = message
        self.structured = structured


class RateLimited(ApiError):
    """HTTP 429; ``retry_after`` seconds to wait, when the server said."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__(429, "too many requests")
        self.retry_after = retry_after


class NotConnected(TiriError):
    """A frame could not be sent because the socket is not connected."""

    def __init__(self) -> None:
        super().__init__("not connected: the frame was not sent")


def is_transient(exc: BaseException) -> bool:
    """Whether the same request may succeed if tried again later.

    The one classifier every retry loop uses (the REST walks, the outbox, the
    socket worker), in the spirit of websockets' ``process_exception``: the
    network and the server's own failures pass; a refusal of the request
    itself (4xx, a malformed answer, a link to another host) or a session
    that needs a login does not. A 429 is transient: wait as the server says.
    """
    if isinstance(exc, ApiError):
        return isinstance(exc, RateLimited) or exc.status >= 500 or exc.status == 408
    if isinstance(exc, LoginRequired):
        return False
    return isinstance(exc, ServerUnreachable | NotConnected | OSError)  # TimeoutError is an OSError


def message_from_body(body: object) -> str:
    """The human message in a DRF/simplejwt error body, whatever its shape.

    ``{"detail": ...}``, ``{"error": ...}``, ``{"non_field_errors": [...]}`` and
    field-keyed dicts such as ``{"email": ["..."]}`` all occur in the wild.
    """
    if isinstance(body, str):
        return body.strip()[:300]
    if isinstance(body, list):
        return "; ".join(message_from_body(item) for item in body if item)[:300]
    if not isinstance(body, dict):
        return ""
    for key in ("detail", "error", "message", "non_field_errors"):
        if body.get(key):
            return message_from_body(body[key])
    parts = [f"{key}: {message_from_body(value)}" for key, value in body.items() if value]
    return "; ".join(parts)[:300]


class AlertsUnavailable(TiriError):
    """The chosen way to alert cannot work here (say why, and what to install)."""


class ActionRefused(TiriError):
    """The server refused an action, in its own words (``already``: it says the
    action was already done, which is no failure to retry)."""

    def __init__(self, words: str, *, already: bool) -> None:
        super().__init__(words)
        self.words = words
        self.already = already


class ActionUnavailable(TiriError):
    """The server has no such route, or no such object: nothing to retry."""


class ActionNotSent(TiriError):
    """An action could not be sent (the server out of reach): nothing happened."""


class OutcomeUnknown(TiriError):
    """A call that changes the world got no answer: it may have been applied.
    Read the object again before offering to try again (never replayed blindly)."""
