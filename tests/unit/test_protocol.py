"""Frames: parse, encode, reject bad input with one error type; close-code dispositions."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.payloads import VALID, json_values
from tiri_tui.wire.models import Notification, WireError
from tiri_tui.wire.protocol import (
    ConnectionAck,
    Disposition,
    ErrorFrame,
    GetUnreadCount,
    MarkAllAsRead,
    MarkAsRead,
    NotificationFrame,
    Ping,
    Pong,
    UnreadCountFrame,
    classify_close,
    classify_handshake_status,
    encode_frame,
    parse_client_frame,
    parse_server_frame,
)


@pytest.mark.parametrize(
    "frame",
    [
        ConnectionAck("7"),
        ConnectionAck(None),
        NotificationFrame(Notification.from_dict(VALID)),
        UnreadCountFrame(12),
        ErrorFrame("Invalid JSON"),
        Pong(),
    ],
)
def test_server_frames_round_trip(frame):
    assert parse_server_frame(encode_frame(frame)) == frame


@pytest.mark.parametrize("frame", [Ping(), GetUnreadCount(), MarkAsRead("abc"), MarkAllAsRead()])
def test_client_frames_round_trip(frame):
    assert parse_client_frame(encode_frame(frame)) == frame


def test_wire_shapes_match_the_protocol():
    assert json.loads(encode_frame(UnreadCountFrame(3))) == {
        "type": "unread_count",
        "data": {"unread_count": 3},
    }
    assert json.loads(encode_frame(MarkAsRead("x"))) == {
        "type": "mark_as_read",
        "notification_id": "x",
    }
    assert json.loads(encode_frame(Ping())) == {"type": "ping"}
    assert json.loads(encode_frame(ConnectionAck("5"))) == {"type": "connection_ack", "user_id": 5}


def test_integer_user_id_in_ack_compares_as_string():
    assert parse_server_frame('{"type":"connection_ack","user_id":5}').user_id == "5"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("not json", "not valid JSON"),
        ("[1,2]", "JSON object"),
        ('"text"', "JSON object"),
        ("{}", "type"),
        ('{"type": 5}', "type"),
        ('{"type": "surprise"}', "unknown frame type"),
        ('{"type": "notification"}', "must be an object"),
        ('{"type": "notification", "data": {"id": "x"}}', "missing"),
        ('{"type": "unread_count", "data": {"unread_count": -1}}', "non-negative"),
        ('{"type": "unread_count", "data": {"unread_count": "3"}}', "non-negative"),
        ('{"type": "unread_count", "data": {"unread_count": true}}', "non-negative"),
        ('{"type": "unread_count"}', "data"),
        ('{"type": "error"}', "error text"),
        ('{"type": "connection_ack", "user_id": [1]}', "wrong type"),
    ],
)
def test_bad_frames_raise_wire_error_saying_why(text, why):
    with pytest.raises(WireError) as caught:
        parse_server_frame(text)
    assert why in caught.value.reason


def test_oversized_frames_are_rejected_before_parsing():
    big = json.dumps({"type": "error", "error": "x" * 2000})
    with pytest.raises(WireError) as caught:
        parse_server_frame(big, max_bytes=1000)
    assert "limit" in caught.value.reason


def test_deeply_nested_json_is_a_wire_error_not_a_recursion_crash():
    with pytest.raises(WireError):
        parse_server_frame("[" * 100000 + "]" * 100000)


@given(st.text(max_size=200))
def test_random_text_never_raises_anything_but_wire_error(text):
    with contextlib.suppress(WireError):
        parse_server_frame(text)


@pytest.mark.parametrize("code", [4001])
def test_reauthenticate_codes(code):
    assert classify_close(code) is Disposition.REAUTHENTICATE


@pytest.mark.parametrize("code", [4003, 1008])
def test_fatal_codes(code):
    assert classify_close(code) is Disposition.FATAL


@pytest.mark.parametrize("code", [1000, 1001, 1006, 1011, 1012, 1013, None])
def test_retry_codes(code):
    assert classify_close(code) is Disposition.RETRY


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, Disposition.REAUTHENTICATE),
        (403, Disposition.REAUTHENTICATE),
        (404, Disposition.RETRY),
        (500, Disposition.RETRY),
        (503, Disposition.RETRY),
    ],
)
def test_handshake_statuses(status, expected):
    assert classify_handshake_status(status) is expected


_OPTIONAL_TEXT = (
    "priority",
    "read_at",
    "expires_at",
    "created_by_name",
    "recipient_name",
    "notification_type_display",
    "time_since_created",
)
_TIMESTAMPS = st.sampled_from(
    ["2025-01-15T10:30:00Z", "2025-01-15T10:30:00.123456+02:00", "2025-01-15T10:30:00", "soon"]
)


@st.composite
def notification_objects(draw: st.DrawFn) -> dict[str, object]:
    """Objects near the contract: well formed, or off by one key, type or value."""
    obj: dict[str, object] = {
        "id": draw(st.text(max_size=12) | st.integers()),
        "title": draw(st.text(max_size=20)),
        "message": draw(st.text(max_size=20)),
        "is_read": draw(st.booleans()),
        "created_at": draw(_TIMESTAMPS),
        "notification_type": draw(st.sampled_from(["request_accepted", "new_message", "x"])),
    }
    for key in _OPTIONAL_TEXT:
        if draw(st.booleans()):
            obj[key] = draw(st.none() | _TIMESTAMPS | st.text(max_size=10))
    if draw(st.booleans()):
        obj["extra_data"] = draw(st.none() | st.dictionaries(st.text(max_size=6), json_values))
    if draw(st.integers(0, 9)) == 0:
        obj[draw(st.text(max_size=8))] = draw(json_values)  # a key this client does not know
    if draw(st.integers(0, 9)) == 0:
        obj[draw(st.sampled_from(sorted(obj)))] = draw(json_values)  # a value of any type
    return obj


def _ordinary(text: str) -> object:
    data = json.loads(text)["data"]
    try:
        return Notification.from_dict(data)
    except WireError as exc:
        return exc.reason


@given(notification_objects())
def test_the_one_pass_decode_gives_what_the_ordinary_path_gives(obj):
    """Well-formed notification frames skip json.loads and the checks; every
    frame still parses to the same notification, or fails with the same words."""
    text = json.dumps({"type": "notification", "data": obj})
    try:
        parsed: object = parse_server_frame(text)
    except WireError as exc:
        parsed = exc.reason
    expected = _ordinary(text)
    assert (parsed.notification if isinstance(parsed, NotificationFrame) else parsed) == expected


def test_a_well_formed_frame_takes_the_one_pass_decode():
    from tiri_tui.wire.protocol import _well_formed_notification

    text = json.dumps({"type": "notification", "data": VALID, "sent_by": "consumer-3"})
    assert _well_formed_notification(text) == Notification.from_dict(VALID)
    unknown_key = json.dumps({"type": "notification", "data": {**VALID, "room": "r-1"}})
    assert _well_formed_notification(unknown_key) is None  # kept by the ordinary path
    assert parse_server_frame(unknown_key).notification.extra == {"room": "r-1"}  # type: ignore[union-attr]
