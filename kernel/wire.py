"""JSON on the wire with orjson: RabbitMQ messages (kombu's ``json`` serializer, which nameko uses for
every RPC and event), the gateway's answers (``kernel.web.json_response``) and json/jsonb read from
PostgreSQL. ``install()`` puts it in place for the process, next to ``kernel.db.make_green`` (after
eventlet's monkey patching): the service runner, the ``Database`` provider, the tests, the bench.

Why: a page of twenty feed cards is encoded by the service, decoded by the gateway (kombu's decoder
calls a Python ``object_hook`` for every JSON object) and encoded again for the client; with the
standard library that was a tenth of both processes' CPU on that read. orjson does it in Rust.

The JSON is the same for every value our code sends (dicts, lists, strings, numbers, booleans,
null). kombu's tagged values keep their form both ways: a ``datetime``, ``date``, ``time``,
``Decimal`` or ``bytes`` is sent as ``{"__type__": ..., "__value__": ...}`` by kombu's own encoder,
and a message holding such a tag is read by kombu's own decoder, so either side may still run the
other implementation. The differences: a ``uuid.UUID`` is sent as its string (kombu tagged it and
the receiver got a UUID back), text is UTF-8 rather than ``\\u`` escapes, a NaN or infinity is
``null`` rather than an invalid ``NaN`` token, and an integer beyond 64 bits is refused.
"""

from __future__ import annotations

from typing import Any

import orjson
import psycopg2.extras
from kombu.serialization import registry
from kombu.utils import json as kombu_json

#: datetimes go to ``default`` (kombu's tags); dict keys that are not strings are written as strings
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_TAG = b'"__type__"'
_kombu_default = kombu_json.JSONEncoder().default


def dumps(data: Any) -> bytes:
    """A message body: JSON, kombu's tags for the types kombu tags."""
    return orjson.dumps(data, default=_kombu_default, option=_OPTIONS)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """A message body back: kombu's decoder when it holds a tag, else orjson."""
    if isinstance(data, memoryview):
        data = data.tobytes()
    tagged = _TAG.decode() in data if isinstance(data, str) else _TAG in data
    return kombu_json.loads(data) if tagged else orjson.loads(data)


def http_body(payload: Any) -> bytes:
    """An HTTP answer's JSON; a value JSON has no type for is written as its ``str``."""
    return orjson.dumps(payload, default=str, option=_OPTIONS)


def install() -> None:
    """kombu's ``json`` serializer and psycopg2's json/jsonb decoding, with orjson (idempotent)."""
    registry.register("json", dumps, loads, content_type="application/json", content_encoding="utf-8")
    psycopg2.extras.register_default_json(loads=orjson.loads, globally=True)
    psycopg2.extras.register_default_jsonb(loads=orjson.loads, globally=True)
