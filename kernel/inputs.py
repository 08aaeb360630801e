"""Loading an RPC's input with its marshmallow schema: one place for the 400 problem it gives."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from kernel.errors import InvalidInput


def load(schema: Schema, data: Any, code: str = "invalid-input") -> Any:
    """``data`` loaded by ``schema``; raises InvalidInput whose ``errors`` map each field to its messages."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput("The request is not valid.", extra={"errors": exc.messages_dict}, code=code) from None
