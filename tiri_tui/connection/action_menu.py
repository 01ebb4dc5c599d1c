"""What can be done about one notification, read from the server.

:func:`menu_for` reads what the notification points at (the request, who
applied, the pending new members) and lists the actions on offer, each with
what it needs; what cannot be offered says why (a route the server lacks, a
request that is not the person's). The dashboard's actions screen and
``tiri-tui act`` both show this list; neither guesses an id the server did
not give: a missing one is looked up through the list routes, or nothing is
offered for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from tiri_tui.connection.acting import ActingApi
from tiri_tui.wire.acting import (
    ActionName,
    Application,
    HelpRequest,
    NewMember,
    Subject,
    refines_to_done,
    subjects_of,
)
from tiri_tui.wire.errors import ActionUnavailable, ApiError
from tiri_tui.wire.models import Notification

_DECIDES_VOLUNTEERS = frozenset({ActionName.APPROVE, ActionName.DECLINE})


class TextNeed(Enum):
    """Whether an action takes the person's text."""

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the person can do, with the ids it acts on."""

    name: ActionName
    subject: Subject
    #: What the person reads ("Approve Amara Obi"); server text, shown inert.
    label: str
    text: TextNeed = TextNeed.NONE
    #: What the text is, when taken ("message", "reason", "notes", "reply").
    text_label: str = ""
    request_id: str | None = None
    room_id: str | None = None
    approval_id: str | None = None
    volunteer_id: str | None = None

    def as_json(self) -> dict[str, object]:
        """What ``tiri-tui act --json`` prints for it."""
        out: dict[str, object] = {"name": self.name.value, "label": self.label}
        out["text"] = self.text.value if self.text is TextNeed.NONE else self.text_label
        out["text_required"] = self.text is TextNeed.REQUIRED
        for key in ("request_id", "room_id", "approval_id", "volunteer_id"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["asks_first"] = self.name.destructive
        return out


@dataclass(frozen=True, slots=True)
class Menu:
    """The actions on offer for a notification, and what was read to offer them."""

    notification: Notification
    actions: tuple[Action, ...]
    request: HelpRequest | None = None
    applications: tuple[Application, ...] = ()
    members: tuple[NewMember, ...] = ()
    #: Why some action is not offered (shown under the list).
    notes: tuple[str, ...] = field(default=())

    def applied(self, volunteer_id: str | None) -> Application | None:
        """Who applied, by their user id (None: nobody, or no id)."""
        return next((a for a in self.applications if a.volunteer_id == volunteer_id), None)

    def offer_message(self, action: Action) -> str:
        """What the volunteer an approval is about wrote ("" when nothing)."""
        applied = self.applied(action.volunteer_id)
        if applied is None or action.name is not ActionName.APPROVE:
            return ""
        return applied.message

    def for_volunteer(self, name: ActionName, volunteer_id: str) -> Action | None:
        """Approve or decline someone who applied, whatever their status now:
        the server says what it makes of it ("already approved")."""
        applied = self.applied(volunteer_id)
        request_id = subjects_of(self.notification).pointers.request
        if applied is None or request_id is None or name not in _DECIDES_VOLUNTEERS:
            return None
        verb = "Approve" if name is ActionName.APPROVE else "Decline"
        return Action(
            name,
            Subject.VOLUNTEERS,
            f"{verb} {applied.name}",
            request_id=request_id,
            volunteer_id=volunteer_id,
        )

    @property
    def why_nothing(self) -> str:
        """Said when nothing is on offer."""
        if self.actions:
            return ""
        leads = subjects_of(self.notification)
        if self.request is not None and self.request.status in ("completed", "cancelled"):
            return f"the request is {self.request.status.replace('_', ' ')}"
        return leads.why_nothing or "; ".join(self.notes) or "nothing can be done about it now"


async def menu_for(api: ActingApi, notification: Notification) -> Menu:
    """Read what ``notification`` points at and list what can be done."""
    leads = subjects_of(notification)
    pointers = leads.pointers
    actions: list[Action] = []
    notes: list[str] = []
    request: HelpRequest | None = None
    applications: list[Application] = []
    members: list[NewMember] = []
    mine = False
    if pointers.request is not None:
        rid = pointers.request
        try:
            request = await api.help_request(rid)
        except ActionUnavailable as exc:
            notes.append(f"request {rid}: {exc}")
        wants_volunteers = Subject.VOLUNTEERS in leads.subjects or (
            request is not None and not (request.can_offer or request.can_withdraw)
        )
        if wants_volunteers:
            try:
                applications = await api.applications(rid)
                mine = True
            except (ActionUnavailable, ApiError) as exc:
                if Subject.VOLUNTEERS in leads.subjects:
                    notes.append(f"who applied: {exc}")
        closed = request is not None and request.status in ("completed", "cancelled")
        # A request done or cancelled takes no more volunteers (who applied stays listed).
        volunteers = [] if closed else _volunteer_actions(rid, applications, pointers.volunteer)
        on_request = _request_actions(notification, rid, request, mine)
        # What the notification asks for comes first (enter takes it): marking
        # the request done when feedback is asked, else who applied.
        first_done = refines_to_done(notification)
        actions += on_request + volunteers if first_done else volunteers + on_request
    if pointers.room is not None:
        room = pointers.room
        actions.append(
            Action(ActionName.MESSAGES, Subject.CONVERSATION, "Read the conversation", room_id=room)
        )
        actions.append(
            Action(
                ActionName.REPLY,
                Subject.CONVERSATION,
                "Reply",
                TextNeed.REQUIRED,
                "reply",
                room_id=room,
            )
        )
    if Subject.MEMBER in leads.subjects:
        try:
            members = await api.pending_members()
        except (ActionUnavailable, ApiError) as exc:
            notes.append(f"new members: {exc}")
        actions += _member_actions(
            pointers.approval, pointers.sender or pointers.volunteer, members, notes
        )
    return Menu(
        notification, tuple(actions), request, tuple(applications), tuple(members), tuple(notes)
    )


def _volunteer_actions(
    request_id: str, applications: list[Application], named: str | None
) -> list[Action]:
    pending = [a for a in applications if a.status == "pending"]
    # The one the notification is about first.
    pending.sort(key=lambda a: a.volunteer_id != named)
    actions: list[Action] = []
    for applied in pending:
        for name, verb in ((ActionName.APPROVE, "Approve"), (ActionName.DECLINE, "Decline")):
            actions.append(
                Action(
                    name,
                    Subject.VOLUNTEERS,
                    f"{verb} {applied.name}",
                    request_id=request_id,
                    volunteer_id=applied.volunteer_id,
                )
            )
    return actions


def _request_actions(
    notification: Notification, request_id: str, request: HelpRequest | None, mine: bool
) -> list[Action]:
    actions: list[Action] = []
    if request is not None and request.can_offer:
        actions.append(
            Action(
                ActionName.OFFER,
                Subject.REQUEST,
                "Offer to help",
                TextNeed.REQUIRED,
                "message",
                request_id=request_id,
            )
        )
    if request is not None and request.can_withdraw:
        actions.append(
            Action(
                ActionName.WITHDRAW,
                Subject.REQUEST,
                "Withdraw your offer",
                TextNeed.OPTIONAL,
                "reason",
                request_id=request_id,
            )
        )
    open_request = request is None or request.status not in ("completed", "cancelled")
    if (mine or refines_to_done(notification)) and open_request:
        actions.append(
            Action(
                ActionName.COMPLETE,
                Subject.REQUEST,
                "Mark the request done",
                TextNeed.OPTIONAL,
                "notes",
                request_id=request_id,
            )
        )
    return actions


def _member_actions(
    approval_id: str | None, person_id: str | None, members: list[NewMember], notes: list[str]
) -> list[Action]:
    if approval_id is not None:
        chosen = [m for m in members if m.id == approval_id]
        named = chosen[0].name if chosen else "the new member"
        if not chosen and members:
            notes.append("this new member is no longer waiting (already decided?)")
        return _decide(approval_id, named)
    matching = [m for m in members if person_id is not None and m.user_id == person_id]
    if not matching and person_id is None:
        # No id to match: every pending member is offered, by name; never a guess.
        matching = members
    if not matching:
        notes.append("no new member waiting for your approval matches this notification")
    return [action for member in matching for action in _decide(member.id, member.name)]


def _decide(approval_id: str, name: str) -> list[Action]:
    return [
        Action(ActionName.APPROVE, Subject.MEMBER, f"Approve {name}", approval_id=approval_id),
        Action(
            ActionName.REJECT,
            Subject.MEMBER,
            f"Reject {name}",
            TextNeed.OPTIONAL,
            "reason",
            approval_id=approval_id,
        ),
    ]
