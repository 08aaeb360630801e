"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": ...}`` out.

A list endpoint declares ``query=PageQuery`` (or a subclass adding its filters) and
``response=page_of(ItemSchema)``. Its handler receives ``query["limit"]`` (default 20) and
``query["cursor"]`` — the *position* the previous page stopped at, already decoded to a dict, or
``None`` for the first page — fetches ``limit + 1`` rows after that position (keyset pagination),
and returns ``paginate(rows, limit, position_of)``.

- ``limit`` is 1..100; a larger or smaller one is a 400 problem, not silently clamped: the OpenAPI
  document states ``maximum: 100``, and a client that asked for more should learn that it will not
  get it rather than miss rows it believes it was sent.
- A cursor is opaque to clients: url-safe base64 (unpadded) of compact JSON. It is *not* signed; a
  client can forge one, so the decoded position is untrusted input — use it only as query
  parameters, never to decide what a caller may see. A malformed cursor is a 400 problem whose
  ``errors`` name the ``cursor`` field.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from gateway.schemas import ResponseSchema
from kernel import errors

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
#: a position is a few keys (a timestamp and an id); anything much longer is not one of ours
MAX_CURSOR_CHARS = 1024

FOREIGN_CURSOR = "Not a valid cursor for this list; pass back the next_cursor of a previous page."

_URLSAFE_BASE64 = re.compile(r"^[A-Za-z0-9_-]+$")


class CursorError(ValueError):
    """A cursor that this API did not produce (bad characters, bad base64, not a JSON object)."""


def encode_cursor(position: Mapping[str, Any]) -> str:
    """The opaque cursor for ``position`` (a JSON-serialisable mapping, e.g. ``{"id": 42}``)."""
    if not isinstance(position, Mapping) or not position:
        raise TypeError("a cursor position is a non-empty mapping")
    raw = json.dumps(dict(position), separators=(",", ":"), sort_keys=True, allow_nan=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The position ``cursor`` stands for; raises ``CursorError`` if it is not one of ours."""
    if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR_CHARS or not _URLSAFE_BASE64.match(cursor):
        raise CursorError("not a cursor this API returned")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw, parse_constant=_reject_constant)
    except (binascii.Error, ValueError) as exc:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
        raise CursorError("not a cursor this API returned") from exc
    if not isinstance(position, dict) or not position:
        raise CursorError("not a cursor this API returned")
    return position


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class Cursor(fields.String):
    """A query field holding an opaque cursor; loads to the decoded position (a dict)."""

    default_error_messages = {"invalid_cursor": "Not a valid cursor; pass back the next_cursor of a previous page."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return decode_cursor(text)
        except CursorError:
            raise self.make_error("invalid_cursor") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else encode_cursor(value)


class PageQuery(Schema):
    """The query parameters of every list endpoint; subclass it to add filters."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"How many items to return (1..{MAX_LIMIT}, default {DEFAULT_LIMIT})."},
    )
    cursor = Cursor(
        metadata={"description": "Where to continue: the `next_cursor` of the previous page. Omit for the first."},
    )

    @post_load
    def first_page_without_cursor(self, data, **kwargs):
        # not load_default=None: that would document the parameter as nullable, which a query string cannot be
        data.setdefault("cursor", None)
        return data


@functools.cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The envelope schema of a page of ``item_schema`` items (one class per item schema).

    Named ``<Item>PageSchema`` so the OpenAPI document shows ``<Item>Page``; cached so that one item
    schema never yields two different envelope classes under the same name.
    """
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return ResponseSchema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Pass as `cursor` to get the next page; null on the last page."},
            ),
        },
        name=name,
    )


def paginate(rows: Sequence[Any], limit: int, position_of: Callable[[Any], Mapping[str, Any]]) -> dict[str, Any]:
    """The page for ``rows``, fetched as ``limit + 1`` rows after the requested position.

    The extra row only tells that a next page exists; it is not returned. ``position_of(row)`` gives
    the keyset position of a row (the sort key, e.g. ``{"created_at": ..., "id": ...}``), from which
    the next page starts strictly after the last returned row.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    items = list(rows[:limit])
    next_cursor = encode_cursor(position_of(items[-1])) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def after(items: Sequence[Any], position: Mapping[str, Any] | None, key: str) -> list[Any]:
    """The items of an in-memory, ``key``-sorted sequence strictly after ``position`` (``None``: all).

    For small fixed lists; a database-backed endpoint expresses the same in SQL
    (``WHERE (created_at, id) > (%s, %s) ORDER BY created_at, id LIMIT %s``).
    """
    if position is None:
        return list(items)
    try:
        return [item for item in items if _key(item, key) > position[key]]
    except (KeyError, TypeError):  # a cursor of another list, or a forged one
        raise errors.InvalidInput(
            "The cursor does not belong to this list.", extra={"errors": {"cursor": [FOREIGN_CURSOR]}}
        ) from None


def _key(item: Any, key: str) -> Any:
    return item[key] if isinstance(item, Mapping) else getattr(item, key)


def page_from(result: Mapping[str, Any]) -> dict[str, Any]:
    """The page for a service's answer ``{"items": [...], "next": position or None}``.

    Services page their own SQL (keyset: ``limit + 1`` rows after the position they were given) and
    say where the next page starts; the gateway only makes that position an opaque cursor.
    """
    position = result.get("next")
    return {"items": result["items"], "next_cursor": encode_cursor(position) if position else None}
