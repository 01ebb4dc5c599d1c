"""What the demo server signs, recorded (to look for it where it must never be)."""

from __future__ import annotations

from tiri_tui.server import DemoServer


def issued_tokens(server: DemoServer) -> list[str]:
    """Record every token the server signs from now on."""
    tokens: list[str] = []
    original = server.state._encode

    def encode(*args, **kwargs):
        token = original(*args, **kwargs)
        tokens.append(token)
        return token

    server.state._encode = encode
    return tokens
