"""The demo server's fault switches: what tests flip to make it misbehave as real
deployments do. Plain data, read by the REST and WebSocket handlers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Faults:
    """Every switch (flip any at any time), and what the server counted of them."""

    #: None, or an HTTP status (404, 500) the socket route answers instead of upgrading.
    ws_route_status: int | None = None
    #: False makes every open socket half-open (no pongs, no answers).
    answer_pings: bool = True
    #: Which mark-all route exists.
    offer_bulk_actions: bool = True
    offer_legacy_mark_all: bool = True
    #: 401 (simplejwt) or 400 (DRF ``non_field_errors``) for bad credentials.
    login_error_status: int = 401
    #: Refuse sockets without a matching Origin, as Channels' validator does.
    require_origin: bool = True
    #: None, or the origins the socket accepts (Channels' ``OriginValidator``:
    #: ``scheme://host[:port]``, a bare host, ``.domain`` for its subdomains,
    #: ``*``): a deployment whose socket takes only its web app's Origin.
    #: REST never looks at it.
    allowed_origins: tuple[str, ...] | None = None
    #: Refuse every access token (REST 401, socket 403) while refreshes still
    #: answer: an account disabled on a deployment whose refresh does not check it.
    refuse_access_tokens: bool = False
    #: Client frames larger than this are refused by the socket.
    max_client_frame: int = 64 * 1024
    #: Close each socket with 4001 when the access token it was opened with expires.
    close_on_token_expiry: bool = False
    #: None (subscribe before accepting), or seconds after accepting a socket
    #: before it gets broadcasts (``group_add`` after ``accept``).
    subscribe_delay: float | None = None
    #: Until this monotonic time, the notifications API answers 429 with
    #: ``Retry-After: retry_after`` (DRF throttling).
    throttle_until: float = 0.0
    retry_after: int = 1
    #: False: a deployment without the routes for acting on a notification (404).
    offer_acting_routes: bool = True
    #: False: a server that ignores ``include_breakdown`` (no ``type_breakdown``).
    offer_breakdown: bool = True
    #: False: a server without ``clear_read/`` (404), or without the preferences route.
    offer_clear_read: bool = True
    offer_preferences: bool = True
    #: True: the preferences can be read but not changed (PUT answers 405).
    preferences_read_only: bool = False
    #: How many of the next calls that change the world are applied and then
    #: get no answer (the connection cut): the client cannot know the outcome.
    cut_acting_answers: int = 0
    #: Seconds the next call that changes the world waits, once applied,
    #: before it answers (longer than the client waits: a timeout).
    slow_acting_answer: float = 0.0
    #: How many calls that change the world reached the server (tests check
    #: that nothing was sent twice).
    acting_posts: int = 0
    #: Rewrites each list page before it is sent (fuzzing hostile servers).
    page_mutator: Callable[[dict[str, Any]], object] | None = None
    #: When 429s were answered, and how many REST calls were answered 401
    #: (tests assert that refreshing ahead kept it at 0).
    throttled_answers: list[float] = field(default_factory=list)
    unauthorized_answers: int = 0
    #: Requests answered, by path (tests check who asked the server what).
    requests: Counter[str] = field(default_factory=Counter)
