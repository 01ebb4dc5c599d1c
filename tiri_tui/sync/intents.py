"""What a person's marks become on their way to the server: the outbox's actions, as codes.

Code branches on these (``match`` with ``assert_never``: a new action that
some branch forgets is a type error, not a silently dropped intent); people
read :attr:`IntentAction.words`.
"""

from __future__ import annotations

from enum import StrEnum


class IntentAction(StrEnum):
    """An intent the outbox carries to the server, in order, never lost."""

    MARK_READ = "mark_read"
    MARK_UNREAD = "mark_unread"
    MARK_ALL_READ = "mark_all_read"
    DELETE = "delete"

    @property
    def words(self) -> str:
        """As people read it ("mark all read")."""
        return self.value.replace("_", " ")
