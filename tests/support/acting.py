"""What the demo server's world holds for acting tests: a request of the demo
user's with someone waiting, a request nearby nobody from here offered on."""

from __future__ import annotations

from tiri_tui.server import DemoServer


def own_request(server: DemoServer) -> str:
    """One of the demo user's requests with someone still waiting to be approved."""
    me = server.user().id
    return next(
        r.id
        for r in server.world.requests.values()
        if r.requester.id == me and any(v.status == "pending" for v in r.volunteers)
    )


def nearby(server: DemoServer) -> str:
    """A request of someone else's the demo user has not offered on."""
    me = server.user().id
    return next(
        r.id
        for r in server.world.requests.values()
        if r.requester.id != me and all(v.volunteer.id != me for v in r.volunteers)
    )
