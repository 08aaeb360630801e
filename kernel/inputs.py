"""Loading an RPC's input: with its marshmallow schema (one place for the 400 problem it gives), and
ids that may not be UUIDs (a lookup of one finds nothing: callers answer 404, never crash)."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import Schema, ValidationError

from kernel.errors import InvalidInput


def load(schema: Schema, data: Any, code: str = "invalid-input") -> Any:
    """``data`` loaded by ``schema``; raises InvalidInput whose ``errors`` map each field to its messages."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput("The request is not valid.", extra={"errors": exc.messages_dict}, code=code) from None


def uuid_or_none(value: Any) -> str | None:
    """``value`` as a canonical UUID string, or ``None`` when it is not one."""
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError, AttributeError):
        return None
