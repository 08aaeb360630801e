"""Keyset pages on the service side: the gateway passes the decoded cursor (``after``, a dict or
``None``) and ``limit``; the service fetches ``limit + 1`` rows after that position and answers
``page(rows, limit, position_of)`` = ``{"items": [...], "next": position or None}``, which the
gateway turns into ``{"items", "next_cursor"}`` (``gateway.pagination.page_from``).

A cursor is not signed: ``position(after, created_at=datetime, id=uuid)`` checks a position's keys
and types and raises ``InvalidInput`` (400, on the ``cursor`` field) for anything else.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from kernel import errors

MAX_LIMIT = 100
NOT_THIS_LIST = "Not a valid cursor for this list; pass back the next_cursor of a previous page."


def page(rows: Sequence[Any], limit: int, position_of: Callable[[Any], Mapping[str, Any]]) -> dict[str, Any]:
    """The page of ``rows`` (fetched as ``limit + 1``) and where the next one starts."""
    items = list(rows[:limit])
    return {"items": items, "next": dict(position_of(items[-1])) if len(rows) > limit and items else None}


def position(after: Mapping[str, Any] | None, **types: type) -> tuple | None:
    """The values of a keyset position in the order of ``types`` (``datetime``, ``uuid.UUID``,
    ``int`` or ``str``), as strings ready for SQL, or ``None`` for the first page."""
    if after is None:
        return None
    if not isinstance(after, Mapping) or set(after) != set(types):
        raise _bad_cursor()
    values: list[Any] = []
    for key, kind in types.items():
        value = after[key]
        try:
            if kind is datetime:
                values.append(datetime.fromisoformat(value).isoformat())
            elif kind is uuid.UUID:
                values.append(str(uuid.UUID(value)))
            elif kind is int:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError
                values.append(value)
            else:
                if not isinstance(value, str):
                    raise TypeError
                values.append(value)
        except (TypeError, ValueError, AttributeError):
            raise _bad_cursor() from None
    return tuple(values)


def check_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise errors.InvalidInput(
            f"limit must be an integer from 1 to {MAX_LIMIT}.", extra={"errors": {"limit": ["Out of range."]}}
        )
    return limit


def _bad_cursor() -> errors.InvalidInput:
    return errors.InvalidInput(
        "The cursor does not belong to this list.", extra={"errors": {"cursor": [NOT_THIS_LIST]}}
    )
