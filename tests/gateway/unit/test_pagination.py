"""Cursor pagination: opaque cursors, limits, pages that cover a list exactly once."""

import base64
import json

import pytest
from marshmallow import ValidationError

from gateway.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorError,
    PageQuery,
    after,
    decode_cursor,
    encode_cursor,
    page_of,
    paginate,
)
from gateway.schemas import ServiceSchema
from kernel import errors


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_cursor_round_trips_and_is_url_safe_without_padding():
    position = {"created_at": "2025-01-02T03:04:05+00:00", "id": "a/b+c?"}
    cursor = encode_cursor(position)
    assert decode_cursor(cursor) == position
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert "=" not in cursor


def test_a_cursor_does_not_depend_on_key_order():
    assert encode_cursor({"a": 1, "b": 2}) == encode_cursor({"b": 2, "a": 1})


@pytest.mark.parametrize("position", [{}, [1, 2], "id", None])
def test_only_a_non_empty_mapping_becomes_a_cursor(position):
    with pytest.raises(TypeError):
        encode_cursor(position)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor!",
        "a",  # one base64 character is no byte
        "eyJpZCI6MX0=",  # padded: the API never sends padding
        "abc.def",
        b64(b"not json"),
        b64(b"[1, 2]"),
        b64(b"{}"),
        b64(b"42"),
        b64(b'{"id": NaN}'),
        b64(b"\xff\xfe\x00"),
        b64(json.dumps({"id": "x" * 2000}).encode()),
    ],
)
def test_a_malformed_cursor_is_refused(cursor):
    with pytest.raises(CursorError):
        decode_cursor(cursor)


def test_page_query_defaults_to_the_first_page_of_twenty():
    assert PageQuery().load({}) == {"limit": DEFAULT_LIMIT, "cursor": None}


def test_page_query_decodes_the_cursor_and_reads_the_limit_from_text():
    cursor = encode_cursor({"name": "identity"})
    assert PageQuery().load({"limit": "100", "cursor": cursor}) == {"limit": 100, "cursor": {"name": "identity"}}


@pytest.mark.parametrize("limit", ["0", "-1", str(MAX_LIMIT + 1), "1000", "ten", "2.5"])
def test_a_limit_outside_1_to_100_is_refused_not_clamped(limit):
    with pytest.raises(ValidationError) as caught:
        PageQuery().load({"limit": limit})
    assert list(caught.value.messages) == ["limit"]


def test_a_malformed_cursor_in_the_query_names_the_cursor_field():
    with pytest.raises(ValidationError) as caught:
        PageQuery().load({"cursor": "%%%"})
    assert caught.value.messages == {"cursor": ["Not a valid cursor; pass back the next_cursor of a previous page."]}


def test_paginate_returns_limit_items_and_a_cursor_after_the_last_one():
    rows = [{"id": i} for i in range(4)]  # limit + 1 rows fetched
    page = paginate(rows, 3, lambda row: {"id": row["id"]})
    assert page["items"] == rows[:3]
    assert decode_cursor(page["next_cursor"]) == {"id": 2}


@pytest.mark.parametrize("count", [0, 2, 3])
def test_the_last_page_has_no_next_cursor(count):
    page = paginate([{"id": i} for i in range(count)], 3, lambda row: row)
    assert page == {"items": [{"id": i} for i in range(count)], "next_cursor": None}


def test_following_next_cursor_visits_every_item_exactly_once():
    items = [{"name": f"item{i:02d}"} for i in range(23)]
    seen, position = [], None
    for _ in range(10):
        page = paginate(after(items, position, "name")[:6], 5, lambda row: {"name": row["name"]})
        seen.extend(page["items"])
        if page["next_cursor"] is None:
            break
        position = PageQuery().load({"cursor": page["next_cursor"]})["cursor"]
    assert seen == items


def test_a_cursor_of_another_list_is_invalid_input_naming_the_cursor():
    with pytest.raises(errors.InvalidInput) as caught:
        after([{"name": "a"}], {"id": 3}, "name")
    assert list(caught.value.extra["errors"]) == ["cursor"]
    with pytest.raises(errors.InvalidInput):
        after([{"name": "a"}], {"name": 3}, "name")  # forged: a number where names are compared


def test_page_of_gives_one_named_envelope_per_item_schema():
    envelope = page_of(ServiceSchema)
    assert envelope is page_of(ServiceSchema)
    assert envelope.__name__ == "ServicePageSchema"
    dumped = envelope().dump({"items": [{"name": "identity", "ping": "/v1/ping/identity"}], "next_cursor": None})
    assert dumped == {"items": [{"name": "identity", "ping": "/v1/ping/identity"}], "next_cursor": None}
