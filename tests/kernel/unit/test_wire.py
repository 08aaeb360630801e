"""JSON on the wire with orjson (kernel.wire): the same JSON as kombu's and the standard library's,
kombu's tagged values understood both ways, installed as kombu's ``json`` serializer."""

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg2.extensions
import pytest
from kombu.serialization import registry
from kombu.utils import json as kombu_json

from kernel import wire

PLAIN = {"id": "c1", "n": 3, "ratio": 0.5, "ok": True, "none": None, "items": [{"title": "Été", "tags": []}]}
WHEN = datetime(2026, 11, 22, 4, 0, 1, 250, tzinfo=UTC)


def test_plain_values_are_the_same_json_as_kombus():
    assert json.loads(wire.dumps(PLAIN)) == json.loads(kombu_json.dumps(PLAIN)) == PLAIN
    assert wire.loads(wire.dumps(PLAIN)) == PLAIN
    assert wire.loads(kombu_json.dumps(PLAIN).encode()) == PLAIN


def test_kombus_tagged_values_travel_both_ways():
    tagged = {"at": WHEN, "day": date(2026, 11, 22), "amount": Decimal("1.50"), "raw": b"\x00\xff"}
    ours, kombus = wire.dumps(tagged), kombu_json.dumps(tagged)
    assert json.loads(ours) == json.loads(kombus)  # the same tags
    assert wire.loads(ours) == kombu_json.loads(ours) == tagged  # read back as the types they were
    assert wire.loads(kombus.encode()) == tagged
    assert wire.loads(memoryview(ours)) == tagged


def test_the_differences_named_in_the_docstring():
    key = uuid.uuid4()
    assert wire.loads(wire.dumps({"id": key})) == {"id": str(key)}  # kombu would give a UUID back
    assert wire.loads(wire.dumps({1: "a"})) == {"1": "a"}
    assert wire.dumps({"x": float("nan")}) == b'{"x":null}'
    with pytest.raises(TypeError):
        wire.dumps({"s": {1, 2}})  # no JSON for a set, as before


def test_http_bodies_write_what_json_has_no_type_for_as_its_text():
    body = wire.http_body({"at": WHEN, "id": uuid.UUID(int=1), **PLAIN})
    assert json.loads(body) == json.loads(json.dumps({"at": WHEN, "id": uuid.UUID(int=1), **PLAIN}, default=str))


def test_installed_as_kombus_json_serializer_and_psycopg2s_json():
    wire.install()
    content_type, encoding, body = registry.dumps(PLAIN, serializer="json")
    assert (content_type, encoding) == ("application/json", "utf-8")
    assert body == wire.dumps(PLAIN)
    assert registry.loads(body, content_type, encoding) == PLAIN
    assert psycopg2.extensions.string_types[3802]('{"a": [1, "é"]}', None) == {"a": [1, "é"]}  # jsonb
