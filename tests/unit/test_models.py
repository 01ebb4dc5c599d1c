"""Parsing the Notification object and pages: required keys, types, unknown keys, bad input."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.payloads import VALID, json_values
from tiri_tui.wire.models import Notification, Page, WireError, parse_timestamp


def test_parses_the_protocol_example():
    n = Notification.from_dict(VALID)
    assert n.id == VALID["id"] and n.title == "Request Accepted" and n.is_read is False
    assert n.created_at == datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
    assert n.priority == "normal" and n.extra_data == {"request_id": "r-1"}
    assert n.created_by_name == "John"


def test_round_trips_with_unknown_keys_kept():
    data = {**VALID, "updated_at": "2025-01-16T00:00:00Z", "brand_new": [1, 2]}
    n = Notification.from_dict(data)
    assert n.extra == {"updated_at": "2025-01-16T00:00:00Z", "brand_new": [1, 2]}
    again = n.to_dict()
    assert again["brand_new"] == [1, 2] and again["updated_at"] == "2025-01-16T00:00:00Z"
    assert Notification.from_dict(again) == n


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-15T10:30:00Z", datetime(2025, 1, 15, 10, 30, tzinfo=UTC)),
        ("2025-01-15T10:30:00.123456Z", datetime(2025, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2025-01-15T12:30:00+02:00", datetime(2025, 1, 15, 10, 30, tzinfo=UTC)),
        ("2025-01-15T05:30:00-05:00", datetime(2025, 1, 15, 10, 30, tzinfo=UTC)),
        ("2025-01-15T10:30:00", datetime(2025, 1, 15, 10, 30, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware(text, expected):
    parsed = parse_timestamp(text, "created_at")
    assert parsed.tzinfo is not None
    assert parsed == expected


def test_offsets_are_kept_as_given():
    parsed = parse_timestamp("2025-01-15T12:30:00+02:00", "t")
    assert parsed.utcoffset() == timedelta(hours=2)
    assert parsed.tzinfo == timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    "key", ["id", "title", "message", "is_read", "created_at", "notification_type"]
)
def test_missing_required_key_is_a_wire_error_naming_it(key):
    data = dict(VALID)
    del data[key]
    with pytest.raises(WireError) as caught:
        Notification.from_dict(data)
    assert key in caught.value.reason


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("id", True),
        ("id", None),
        ("id", ""),
        ("id", 1.5),
        ("title", 3),
        ("message", ["x"]),
        ("is_read", "false"),
        ("is_read", 0),
        ("created_at", "yesterday"),
        ("created_at", 1700000000),
        ("notification_type", None),
        ("priority", 2),
        ("read_at", "nope"),
        ("extra_data", "not an object"),
        ("created_by_name", {"a": 1}),
    ],
)
def test_wrong_types_are_wire_errors(key, value):
    with pytest.raises(WireError):
        Notification.from_dict({**VALID, key: value})


def test_integer_ids_become_strings():
    assert Notification.from_dict({**VALID, "id": 42}).id == "42"


@pytest.mark.parametrize("value", [None, [], "x", 3])
def test_non_object_is_a_wire_error(value):
    with pytest.raises(WireError):
        Notification.from_dict(value)


def test_a_page_keeps_valid_items_around_invalid_ones():
    page = Page.from_dict(
        {
            "count": 3,
            "next": "http://h/api/notifications/notifications/?page=2",
            "previous": None,
            "results": [VALID, {"id": "bad"}, {**VALID, "id": "other"}],
            "total_unread_count": 7,
        }
    )
    assert [n.id for n in page.results] == [VALID["id"], "other"]
    assert len(page.rejected) == 1 and "missing" in page.rejected[0]
    assert page.total_unread_count == 7 and page.next.endswith("page=2")


@pytest.mark.parametrize("bad", [[], {"results": "x"}, {"count": 1}, {"results": [], "next": 5}])
def test_a_malformed_page_is_a_wire_error(bad):
    with pytest.raises(WireError):
        Page.from_dict(bad)


@given(json_values)
def test_random_json_never_raises_anything_but_wire_error(value):
    with contextlib.suppress(WireError):
        Notification.from_dict(value)


@given(st.dictionaries(st.sampled_from(sorted(VALID)), json_values, max_size=12))
def test_mutated_notifications_parse_or_raise_wire_error(mutation):
    data = {**VALID, **mutation}
    try:
        n = Notification.from_dict(data)
    except WireError:
        return
    assert Notification.from_dict(json.loads(json.dumps(n.to_dict()))) == n


@given(st.dictionaries(st.sampled_from(sorted(VALID)), json_values, max_size=12))
def test_the_fast_path_agrees_with_the_checked_one(mutation):
    """Well-formed objects take a one-pass fast path; whatever it accepts, the
    key-by-key checks accept the same way."""
    from tiri_tui.wire import models

    data = {**VALID, **mutation}
    fast = models._parse_well_formed(Notification, data)
    if fast is None:
        return
    original = models._parse_well_formed
    models._parse_well_formed = lambda cls, data: None
    try:
        assert Notification.from_dict(data) == fast
    finally:
        models._parse_well_formed = original


def test_with_read_changes_only_the_read_state():
    """with_read builds the copy field by field: every other field must survive."""
    n = Notification.from_dict({**VALID, "extra_data": {"k": [1]}, "unknown_key": 5})
    read = n.with_read(True, when=datetime(2026, 2, 2, tzinfo=UTC))
    assert read.is_read and read.read_at == datetime(2026, 2, 2, tzinfo=UTC)
    for f in msgspec.structs.fields(Notification):
        if f.name not in {"is_read", "read_at"}:
            assert getattr(read, f.name) == getattr(n, f.name), f.name
    assert read.with_read(False) == msgspec.structs.replace(n, is_read=False, read_at=None)


def test_extra_data_is_kept_as_standard_json_text():
    """What a non-standard server's JSON alone can carry (NaN, infinity) is kept
    as null: the kept text is JSON any reader takes, and a frame's copy and a
    page's copy of one notification stay equal."""
    n = Notification.from_dict({**VALID, "extra_data": {"x": float("nan"), "y": 1e16, "z": "é"}})
    assert n.extra_json == '{"x":null,"y":1e16,"z":"é"}'
    assert n.extra_data == {"x": None, "y": 1e16, "z": "é"}
