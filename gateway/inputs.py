"""Reading a request's JSON body and query string, validated by marshmallow schemas.

Every failure is an exception the kernel's ``http`` entrypoint renders as a problem:

- no body where one is needed, malformed JSON, or JSON failing the schema -> ``errors.InvalidInput``
  (400; a schema failure carries marshmallow's per-field messages in ``errors``);
- a body whose ``Content-Type`` is not JSON -> werkzeug ``UnsupportedMediaType`` (415);
- a body over the limit -> werkzeug ``RequestEntityTooLarge`` (413).

The size limit is the one the kernel's WSGI app put on the request (``GATEWAY_MAX_BODY_BYTES``). The
kernel refuses a too-long ``Content-Length`` before the handler runs; a chunked body has no length
up front, so it is read here at most ``limit + 1`` bytes at a time from the server's input stream
(werkzeug's own ``get_data()`` would return an empty body for it under eventlet, which does not set
``wsgi.input_terminated``).
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.wrappers import Request

from kernel import errors
from kernel.config import Settings

READ_CHUNK_BYTES = 64 * 1024


def body_limit(request: Request) -> int:
    """The largest body this request may carry (set by the kernel's WSGI app; else the default)."""
    limit = request.max_content_length
    return limit if limit is not None else Settings.gateway_max_body_bytes


def has_body(request: Request) -> bool:
    """Whether the client sent a body: a positive ``Content-Length`` or a chunked transfer."""
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return True
    return bool(request.content_length)


def is_json_media_type(mimetype: str) -> bool:
    """``application/json`` or a structured ``+json`` type (``application/merge-patch+json``)."""
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def read_body(request: Request, limit: int | None = None) -> bytes:
    """The raw body, at most ``limit`` bytes; ``RequestEntityTooLarge`` past that."""
    limit = body_limit(request) if limit is None else limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    stream = request.environ["wsgi.input"]
    chunks: list[bytes] = []
    received = 0
    while received <= limit:
        chunk = stream.read(min(READ_CHUNK_BYTES, limit + 1 - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if received > limit:
        raise RequestEntityTooLarge()
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """The JSON value in ``raw``; ``errors.InvalidInput`` (code ``malformed-json``) if it is not JSON."""
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise errors.InvalidInput(f"The request body is not valid JSON: {reason}.", code="malformed-json") from None
    except UnicodeDecodeError:
        raise errors.InvalidInput("The request body is not UTF-8 text.", code="malformed-json") from None
    except ValueError as exc:  # NaN or Infinity, which Python accepts and JSON does not
        raise errors.InvalidInput(f"The request body is not valid JSON: {exc}.", code="malformed-json") from None
    except RecursionError:
        raise errors.InvalidInput("The request body nests too deeply.", code="malformed-json") from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def validated(schema: Schema, data: Any, what: str) -> Any:
    """``schema.load(data)``; ``errors.InvalidInput`` with marshmallow's messages as ``errors``."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise errors.InvalidInput(f"The {what} is not valid; see errors.", extra={"errors": exc.messages}) from None


def load_json_body(request: Request, schema: Schema) -> Any:
    """The request's JSON body, checked and loaded by ``schema``."""
    if not has_body(request):
        raise errors.InvalidInput("This operation needs a JSON body.", extra={"errors": {"_body": ["Missing body."]}})
    if not is_json_media_type(request.mimetype):
        sent = request.mimetype or "no Content-Type"
        raise UnsupportedMediaType(description=f"Send the body as application/json, not {sent}.")
    return validated(schema, parse_json(read_body(request)), "request body")


def load_query(request: Request, schema: Schema) -> Any:
    """The query string, loaded by ``schema`` (one value per name: the first one given)."""
    return validated(schema, request.args.to_dict(flat=True), "query string")
