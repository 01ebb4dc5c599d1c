"""An in-memory system keyring: what the ``keyring`` package offers, in a dict."""

from __future__ import annotations


class MemoryKeyring:
    """One keyring shared by every store made over it (as processes share the real one)."""

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.passwords[(service, username)]
