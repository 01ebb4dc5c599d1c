"""Wire payloads for tests: the protocol's example notification, random JSON."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

#: PROTOCOL.md's example Notification.
VALID: dict[str, Any] = {
    "id": "7d0c2c8e-5a6b-4b58-9a3e-2f1d5f0c9b11",
    "title": "Request Accepted",
    "message": "John accepted your request",
    "is_read": False,
    "created_at": "2025-01-15T10:30:00Z",
    "notification_type": "request_accepted",
    "priority": "normal",
    "read_at": None,
    "created_by_name": "John",
    "extra_data": {"request_id": "r-1"},
}

#: Any JSON value, nested a little.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)
