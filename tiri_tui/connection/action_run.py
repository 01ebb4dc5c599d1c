"""Carrying out one action of a notification's menu, and finding out what
happened when no answer came.

:func:`perform` sends the one call the action is (once; never queued).
:func:`recheck` is for when that call got no answer: it reads the object
again and says what the server now shows, and whether that means it was
done, so the person decides about trying again knowing that.
"""

from __future__ import annotations

from dataclasses import dataclass

from tiri_tui.connection.acting import ActingApi
from tiri_tui.connection.action_menu import Action
from tiri_tui.wire.acting import ActionName, Subject
from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.text import one_line


async def perform(api: ActingApi, action: Action, text: str = "") -> str:
    """Do ``action`` (``text``: the person's, sent as typed); the server's words.

    Raises what :class:`ActingApi` raises: refused, unavailable, outcome unknown.
    """
    name = action.name
    if action.subject is Subject.VOLUNTEERS and name in (ActionName.APPROVE, ActionName.DECLINE):
        assert action.request_id is not None and action.volunteer_id is not None
        return await api.decide_volunteer(
            action.request_id, action.volunteer_id, approve=name is ActionName.APPROVE
        )
    if action.subject is Subject.MEMBER and name in (ActionName.APPROVE, ActionName.REJECT):
        assert action.approval_id is not None
        return await api.decide_member(
            action.approval_id, approve=name is ActionName.APPROVE, reason=text
        )
    if name is ActionName.OFFER:
        assert action.request_id is not None
        return await api.offer(action.request_id, text)
    if name is ActionName.WITHDRAW:
        assert action.request_id is not None
        return await api.withdraw(action.request_id, text)
    if name is ActionName.COMPLETE:
        assert action.request_id is not None
        return await api.complete(action.request_id, text)
    if name is ActionName.REPLY:
        assert action.room_id is not None
        await api.reply(action.room_id, text)
        return "reply sent"
    raise ValueError(f"{name.value} is read, not done")


async def reply_landed(api: ActingApi, room_id: str, text: str, seen: set[str]) -> bool:
    """Whether ``text`` came into the room after a reply got no answer: a
    message with it that is not one of those ``seen`` before sending, or,
    with none seen, the newest message (a short "ok" sent earlier must not
    count as this one)."""
    messages, _ = await api.messages(room_id)
    if not seen:
        return bool(messages) and messages[-1].content == text
    return any(m.content == text and m.id not in seen for m in messages)


@dataclass(frozen=True, slots=True)
class Recheck:
    """What the server shows after a call that got no answer."""

    #: True: it was done; False: it was not; None: the server cannot tell.
    done: bool | None
    words: str


async def recheck(api: ActingApi, action: Action, text: str = "") -> Recheck:
    """Read again what ``action`` changes, after its call got no answer."""
    try:
        return await _recheck(api, action, text)
    except TiriError as exc:
        return Recheck(None, f"could not read it again: {exc}")


async def _recheck(api: ActingApi, action: Action, text: str) -> Recheck:
    name = action.name
    if action.subject is Subject.VOLUNTEERS:
        assert action.request_id is not None
        wanted = "approved" if name is ActionName.APPROVE else "rejected"
        for applied in await api.applications(action.request_id):
            if applied.volunteer_id == action.volunteer_id:
                shown = f"{one_line(applied.name)} is now {one_line(applied.status)}"
                return Recheck(applied.status == wanted, shown)
        return Recheck(None, "the server no longer lists that volunteer")
    if action.subject is Subject.MEMBER:
        pending = await api.pending_members()
        if any(member.id == action.approval_id for member in pending):
            return Recheck(False, "the new member is still waiting for your decision")
        return Recheck(
            None, "the new member is no longer waiting (decided, by this call or another)"
        )
    if name is ActionName.REPLY:
        assert action.room_id is not None
        sent = await reply_landed(api, action.room_id, text, set())
        words = "your reply is" if sent else "your reply is not"
        return Recheck(sent, f"{words} the newest message of the conversation")
    assert action.request_id is not None
    request = await api.help_request(action.request_id)
    status = f"the request is {one_line(request.status)}"
    if name is ActionName.OFFER:
        return Recheck(
            request.can_withdraw,
            status + (", with your offer" if request.can_withdraw else ", without your offer"),
        )
    if name is ActionName.WITHDRAW:
        return Recheck(
            not request.can_withdraw,
            status
            + (", your offer still stands" if request.can_withdraw else ", your offer withdrawn"),
        )
    return Recheck(request.status == "completed", status)
