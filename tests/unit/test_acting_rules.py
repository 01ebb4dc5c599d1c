"""What a notification points at, and what that leads to (pure)."""

from __future__ import annotations

import msgspec
import pytest

from tests.support.fakes import sample
from tiri_tui.wire.acting import (
    ActionName,
    Application,
    ChatMessage,
    HelpRequest,
    Malformed,
    NewMember,
    Subject,
    parse_list,
    pointers_of,
    safe_id,
    subjects_of,
)
from tiri_tui.wire.models import Notification, encode_extra


def about(kind: str, extra: dict[str, object]) -> Notification:
    return msgspec.structs.replace(
        sample(1)[0], notification_type=kind, extra_json=encode_extra(extra)
    )


@pytest.mark.parametrize(
    "value", ["../auth/logout", "a/b", "1?x=2", "1#f", "%2e%2e", "", " 1", "é", "a" * 65, True, -1]
)
def test_an_id_that_could_leave_its_path_segment_is_refused(value: object) -> None:
    assert safe_id(value) is None


@pytest.mark.parametrize("value", [42, "42", "req-1001", "3fa85f64-5717-4562-b3fc-2c963f66afa6"])
def test_numbers_slugs_and_uuids_are_ids(value: object) -> None:
    assert safe_id(value) == str(value)


def test_aliases_are_read_and_the_contract_s_name_wins() -> None:
    pointers = pointers_of(
        about("new_message", {"room_id": 7, "service_request_id": "r1", "volunteer_user_id": 9})
    )
    assert (pointers.room, pointers.request, pointers.volunteer) == ("7", "r1", "9")
    both = pointers_of(about("x", {"request_id": "a", "service_request_id": "b"}))
    assert both.request == "a"


def test_a_hostile_id_is_refused_and_nothing_is_offered_for_it() -> None:
    leads = subjects_of(about("request_accepted", {"request_id": "../../auth/logout"}))
    assert leads.subjects == () and leads.pointers.refused == ("request_id",)
    assert "request_id is not an id" in leads.why_nothing


def test_the_ids_decide_and_the_type_refines() -> None:
    assert subjects_of(about("request_accepted", {"request_id": 1})).subjects == (
        Subject.VOLUNTEERS,
        Subject.REQUEST,
    )
    assert subjects_of(about("new_nearby_request", {"request_id": 1})).subjects == (
        Subject.REQUEST,
    )
    assert subjects_of(about("new_message", {"chat_room_id": "r"})).subjects == (
        Subject.CONVERSATION,
    )
    # A new member: by an approval id, or by the kind when no request is named.
    assert subjects_of(about("anything", {"approval_id": 3})).subjects == (Subject.MEMBER,)
    assert subjects_of(about("referral_code_used", {})).subjects == (Subject.MEMBER,)
    assert subjects_of(about("approval_request", {})).subjects == (Subject.MEMBER,)
    nothing = subjects_of(about("welcome_email", {}))
    assert nothing.subjects == () and "nothing to act on" in nothing.why_nothing


def test_what_cannot_be_undone_asks_first() -> None:
    asks = {name for name in ActionName if name.destructive}
    assert asks == {ActionName.DECLINE, ActionName.REJECT, ActionName.COMPLETE}


def test_the_objects_parse_from_the_backend_s_shapes() -> None:
    request = HelpRequest.from_dict(
        {
            "id": 5,
            "title": "Lift",
            "status": "open",
            "requester": {"id": 2, "first_name": "Ana", "last_name": "Lee"},
            "location": {"name": "Main St"},
            "user_request_status": {"can_request": True, "can_cancel_request": False},
        }
    )
    assert (request.id, request.requester, request.location, request.can_offer) == (
        "5",
        "Ana Lee",
        "Main St",
        True,
    )
    applied = Application.from_dict(
        {"id": 1, "volunteer": {"id": 9, "full_name": "Kofi"}, "message": "hi", "status": "pending"}
    )
    assert (applied.volunteer_id, applied.name) == ("9", "Kofi")
    message = ChatMessage.from_dict({"id": 3, "sender": 4, "sender_name": "Mei", "content": "ok"})
    assert (message.sender_id, message.sender_name) == ("4", "Mei")
    member = NewMember.from_dict({"id": 8, "new_user": {"id": 12, "email": "h@x.org"}})
    assert (member.user_id, member.name) == ("12", "h@x.org")


def test_a_malformed_item_is_left_out_and_a_malformed_list_is_refused() -> None:
    items = parse_list(
        {"volunteer_requests": [{"id": 1}, {"id": 2, "volunteer": {"id": 3}}]},
        "volunteer_requests",
        Application.from_dict,
    )
    assert [a.id for a in items] == ["2"]
    with pytest.raises(Malformed):
        parse_list({"volunteer_requests": "no"}, "volunteer_requests", Application.from_dict)
    with pytest.raises(Malformed):
        HelpRequest.from_dict({"title": "no id"})


def test_an_id_from_the_server_that_is_not_one_is_left_out_not_shown() -> None:
    hostile = {"id": 1, "volunteer": {"id": "7\x1b]52;c;ZXZpbA==\x07", "full_name": "X"}}
    with pytest.raises(Malformed):
        Application.from_dict(hostile)
    assert (
        parse_list({"volunteer_requests": [hostile]}, "volunteer_requests", Application.from_dict)
        == []
    )
