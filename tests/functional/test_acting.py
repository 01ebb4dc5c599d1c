"""Acting on a notification against the embedded server: every action, what
the server says back, and what happens when it says nothing."""

from __future__ import annotations

import pytest

from tests.support.acting import own_request
from tiri_tui.client import TiriClient
from tiri_tui.connection.acting import ActingApi
from tiri_tui.connection.action_menu import Menu, menu_for
from tiri_tui.connection.action_run import perform, recheck
from tiri_tui.server import DemoServer
from tiri_tui.server.seed import PARTNER_EMAIL
from tiri_tui.wire.acting import ActionName, Subject
from tiri_tui.wire.errors import ActionRefused, ActionUnavailable, OutcomeUnknown
from tiri_tui.wire.models import Notification


async def notification(server: DemoServer, **fields: object) -> Notification:
    """A notification created on the server for the demo user, as the client reads it."""
    created = await server.create_notification(**fields)
    return Notification.from_dict(created)


async def menu(client: TiriClient, n: Notification) -> tuple[ActingApi, Menu]:
    api = ActingApi(client.api)
    return api, await menu_for(api, n)


def one(m: Menu, name: ActionName, subject: Subject | None = None):  # type: ignore[no-untyped-def]
    found = [a for a in m.actions if a.name is name and (subject is None or a.subject is subject)]
    assert found, [a.label for a in m.actions]
    return found[0]


async def test_approve_a_volunteer_then_again_is_already_done(server, client) -> None:
    rid = own_request(server)
    n = await notification(
        server, notification_type="request_accepted", extra_data={"request_id": rid}
    )
    api, m = await menu(client, n)
    approve = one(m, ActionName.APPROVE, Subject.VOLUNTEERS)
    name = next(a.name for a in m.applications if a.volunteer_id == approve.volunteer_id)
    assert approve.label == f"Approve {name}"
    assert await perform(api, approve) == f"{name} approved"
    applied = next(
        v
        for v in server.world.requests[rid].volunteers
        if str(v.volunteer.id) == approve.volunteer_id
    )
    assert applied.status == "approved"
    with pytest.raises(ActionRefused) as again:
        await perform(api, approve)
    assert again.value.already and "already approved" in again.value.words
    # Read again, the menu no longer offers what is done.
    _, after = await menu(client, n)
    assert all(a.volunteer_id != approve.volunteer_id for a in after.actions)


async def test_a_refusal_is_the_server_s_own_words(server, client) -> None:
    """Another member's request: the server refuses with DRF's 403 body."""
    other = next(r for r in server.world.requests.values() if r.requester.id != server.user().id)
    n = await notification(
        server, notification_type="request_accepted", extra_data={"request_id": other.id}
    )
    api, m = await menu(client, n)
    assert all(a.subject is not Subject.VOLUNTEERS for a in m.actions)
    assert any("permission" in note for note in m.notes)
    with pytest.raises(ActionRefused) as refused:
        await api.complete(other.id)
    assert not refused.value.already
    assert refused.value.words == "You do not have permission to perform this action."


async def test_offer_help_with_a_message_sent_as_typed_then_withdraw(server, client) -> None:
    nearby = next(
        r
        for r in server.world.requests.values()
        if r.requester.id != server.user().id and not r.volunteers
    )
    n = await notification(
        server, notification_type="new_nearby_request", extra_data={"request_id": nearby.id}
    )
    api, m = await menu(client, n)
    text = 'I can come at 6 — "Bruno" likes me\n$(rm -rf /) `id` %s {x}'
    assert await perform(api, one(m, ActionName.OFFER), text) == "Your offer to help was sent"
    assert nearby.volunteers[-1].message == text
    _, m = await menu(client, n)
    assert not any(a.name is ActionName.OFFER for a in m.actions)
    assert await perform(api, one(m, ActionName.WITHDRAW)) == "Your offer to help was withdrawn"
    assert nearby.volunteers[-1].status == "withdrawn"


async def test_mark_a_request_done(server, client) -> None:
    rid = own_request(server)
    n = await notification(
        server, notification_type="feedback_requested", extra_data={"request_id": rid}
    )
    api, m = await menu(client, n)
    assert m.actions[0].name is ActionName.COMPLETE  # what the notification asks for, first
    words = await perform(api, one(m, ActionName.COMPLETE), "thanks all")
    assert "marked complete" in words and server.world.requests[rid].status == "completed"
    _, after = await menu(client, n)
    assert not after.actions and after.applications  # who applied stays listed
    assert after.why_nothing == "the request is completed"
    with pytest.raises(ActionRefused) as again:
        await perform(api, one(m, ActionName.COMPLETE))
    assert again.value.already


async def test_read_a_conversation_and_reply_the_other_side_is_notified(server, client) -> None:
    partner = server.user(PARTNER_EMAIL)
    room = next(r for r in server.world.rooms.values() if partner.id in {p.id for p in r.members})
    n = await notification(
        server, notification_type="new_message", extra_data={"chat_room_id": room.id}
    )
    api, m = await menu(client, n)
    one(m, ActionName.MESSAGES)
    messages, older = await api.messages(room.id)
    assert [x.content for x in messages] == [x["content"] for x in room.messages] and not older
    before = len(partner.notifications)
    await perform(api, one(m, ActionName.REPLY), "See you at 10 ✓")
    assert room.messages[-1]["content"] == "See you at 10 ✓"
    assert len(partner.notifications) == before + 1
    told = partner.notifications[0]
    assert told["extra_data"]["chat_room_id"] == room.id and "See you at 10" in told["message"]
    await api.mark_room_read(room.id)
    assert all(x["is_read"] for x in room.messages if x["sender"]["id"] != server.user().id)


async def test_approve_and_reject_new_members(server, client) -> None:
    pending = [a for a in server.world.approvals.values() if a.status == "pending"]
    n = await notification(
        server, notification_type="referral_code_used", extra_data={"approval_id": pending[0].id}
    )
    api, m = await menu(client, n)
    approve = one(m, ActionName.APPROVE, Subject.MEMBER)
    assert approve.label == f"Approve {pending[0].new_user.full_name}"
    assert await perform(api, approve) == f"{pending[0].new_user.full_name} approved"
    with pytest.raises(ActionRefused) as again:
        await perform(api, approve)
    assert again.value.already
    other = await notification(
        server, notification_type="referral_code_used", extra_data={"approval_id": pending[1].id}
    )
    api, m = await menu(client, other)
    await perform(api, one(m, ActionName.REJECT), "I do not know them")
    assert pending[1].status == "rejected"


async def test_without_an_approval_id_the_member_is_found_by_their_id_never_guessed(
    server, client
) -> None:
    waiting = [a for a in server.world.approvals.values() if a.status == "pending"]
    assert len(waiting) >= 2
    target = waiting[1]
    by_id = await notification(
        server, notification_type="referral_code_used", extra_data={"sender_id": target.new_user.id}
    )
    _, m = await menu(client, by_id)
    assert {a.approval_id for a in m.actions} == {str(target.id)}
    # No id at all: every member waiting is offered by name, the person picks.
    bare = await notification(server, notification_type="referral_code_used", extra_data={})
    _, m = await menu(client, bare)
    assert {a.approval_id for a in m.actions} == {str(a.id) for a in waiting}
    # An id that matches nobody waiting: nothing offered, and it says why.
    nobody = await notification(
        server, notification_type="referral_code_used", extra_data={"sender_id": 999999}
    )
    _, m = await menu(client, nobody)
    assert not m.actions and "no new member waiting" in m.why_nothing


async def test_a_server_without_the_routes_says_not_available(server, client) -> None:
    server.faults.offer_acting_routes = False
    rid = own_request(server)
    n = await notification(
        server, notification_type="request_accepted", extra_data={"request_id": rid}
    )
    api, m = await menu(client, n)
    assert not m.actions and "not available on this server" in m.why_nothing
    with pytest.raises(ActionUnavailable):
        await api.decide_volunteer(rid, "1", approve=True)


async def test_no_answer_is_never_retried_the_object_is_read_again(server, client) -> None:
    rid = own_request(server)
    n = await notification(
        server, notification_type="request_accepted", extra_data={"request_id": rid}
    )
    api, m = await menu(client, n)
    approve = one(m, ActionName.APPROVE, Subject.VOLUNTEERS)
    server.faults.cut_acting_answers = 1
    calls = server.world.requests[rid]
    with pytest.raises(OutcomeUnknown):
        await perform(api, approve)
    seen = await recheck(api, approve)
    assert seen.done is True and "is now approved" in seen.words
    assert sum(v.status == "approved" for v in calls.volunteers) >= 1


async def test_hostile_ids_never_reach_a_route(server, client) -> None:
    n = await notification(
        server, notification_type="request_accepted", extra_data={"request_id": "../../auth/logout"}
    )
    _, m = await menu(client, n)
    assert not m.actions and "not an id" in m.why_nothing
    with pytest.raises(ActionUnavailable):
        await ActingApi(client.api).offer("x/../../y", "hi")


async def every_action(server: DemoServer, client: TiriClient, name: str):  # type: ignore[no-untyped-def]
    """(api, the action, the text it takes) for each action of the section, on fresh objects."""
    me = server.user().id
    if name in ("approve", "decline"):
        n = await notification(
            server,
            notification_type="request_accepted",
            extra_data={"request_id": own_request(server)},
        )
        subject = Subject.VOLUNTEERS
    elif name in ("offer", "withdraw"):
        request = next(
            r
            for r in server.world.requests.values()
            if r.requester.id != me
            and (name == "withdraw") == any(v.volunteer.id == me for v in r.volunteers)
        )
        n = await notification(
            server, notification_type="new_nearby_request", extra_data={"request_id": request.id}
        )
        subject = Subject.REQUEST
    elif name == "complete":
        n = await notification(
            server,
            notification_type="feedback_requested",
            extra_data={"request_id": own_request(server)},
        )
        subject = Subject.REQUEST
    elif name == "reply":
        n = await notification(
            server,
            notification_type="new_message",
            extra_data={"chat_room_id": next(iter(server.world.rooms))},
        )
        subject = Subject.CONVERSATION
    else:
        waiting = next(a for a in server.world.approvals.values() if a.status == "pending")
        n = await notification(
            server, notification_type="referral_code_used", extra_data={"approval_id": waiting.id}
        )
        subject = Subject.MEMBER
    api, m = await menu(client, n)
    action_name = ActionName("approve" if name == "approve member" else name)
    return api, one(m, action_name, subject), ("a few words" if name in ("offer", "reply") else "")


ACTIONS = [
    "approve",
    "decline",
    "offer",
    "withdraw",
    "complete",
    "reply",
    "approve member",
    "reject",
]


@pytest.mark.parametrize("name", ACTIONS)
async def test_every_action_done_then_already_done(server, client, name) -> None:
    api, action, text = await every_action(server, client, name)
    words = await perform(api, action, text)
    assert words and "\x1b" not in words
    if name == "reply":
        return  # a second reply is a second message, not an error
    with pytest.raises(ActionRefused) as again:
        await perform(api, action, text)
    assert again.value.words and (again.value.already or name == "withdraw")


@pytest.mark.parametrize("name", ACTIONS)
async def test_every_action_on_a_server_without_the_route(server, client, name) -> None:
    api, action, text = await every_action(server, client, name)
    server.faults.offer_acting_routes = False
    with pytest.raises(ActionUnavailable) as missing:
        await perform(api, action, text)
    assert "not available on this server" in str(missing.value)


@pytest.mark.parametrize("name", ACTIONS)
async def test_every_action_with_no_answer_is_read_again_never_resent(server, client, name) -> None:
    api, action, text = await every_action(server, client, name)
    server.faults.cut_acting_answers = 1
    with pytest.raises(OutcomeUnknown):
        await perform(api, action, text)
    seen = await recheck(api, action, text)
    assert seen.done is not False, seen.words
    assert server.faults.acting_posts == 1  # the one call, never sent again


async def test_a_timeout_is_an_unknown_outcome_read_again(server, client) -> None:
    api, action, text = await every_action(server, client, "approve")
    server.faults.slow_acting_answer = 5.0  # the test client waits 2 s
    with pytest.raises(OutcomeUnknown):
        await perform(api, action, text)
    seen = await recheck(api, action, text)
    assert seen.done is True and "is now approved" in seen.words
    assert server.faults.acting_posts == 1


async def test_a_reply_with_no_answer_counts_only_if_it_is_new(server, client) -> None:
    """An earlier "ok" in the room is not this reply: only a message not seen
    before sending counts."""
    from tiri_tui.connection.action_run import reply_landed

    room = next(iter(server.world.rooms.values()))
    api = ActingApi(client.api)
    await api.reply(room.id, "ok")
    before = {m.id for m in (await api.messages(room.id))[0]}
    assert not await reply_landed(api, room.id, "ok", before)
    server.faults.cut_acting_answers = 1
    with pytest.raises(OutcomeUnknown):
        await api.reply(room.id, "ok")
    assert await reply_landed(api, room.id, "ok", before)
