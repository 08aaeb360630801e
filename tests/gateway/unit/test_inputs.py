"""JSON bodies and query strings: each failure is the right problem, never a traceback or HTML.

The ``route`` wrapper is called as nameko's worker would call it, and its exception rendered by the
kernel's ``problem_from_exception`` — exactly what ``kernel.web.http`` does with it.
"""

import io
import json

import pytest
from marshmallow import Schema, fields, validate
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.pagination import PageQuery
from gateway.routing import route
from gateway.schemas import ResponseSchema
from kernel.web import PROBLEM_CONTENT_TYPE, problem_from_exception

LIMIT = 64


class NewThingSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=20))
    count = fields.Integer(load_default=1)


class ThingSchema(ResponseSchema):
    name = fields.String()
    count = fields.Integer()


class Things:
    name = "things"

    @route(
        "POST",
        "/v1/things",
        summary="Create a thing",
        tags=["things"],
        body=NewThingSchema,
        response=ThingSchema,
        status=201,
    )
    def create(self, request, body):
        return {**body, "secret": "not in the schema, not in the answer"}

    @route("GET", "/v1/things", summary="List things", tags=["things"], query=PageQuery)
    def list(self, request, query):
        return {"query": query}


def make_request(method="POST", data=b"", content_type="application/json", chunked=False, query=None):
    headers = {}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
        builder = EnvironBuilder(
            method=method,
            path="/v1/things",
            input_stream=io.BytesIO(data),
            headers=headers,
            content_type=content_type,
            query_string=query,
        )
    else:
        builder = EnvironBuilder(
            method=method, path="/v1/things", data=data, content_type=content_type, query_string=query
        )
    environ = builder.get_environ()
    if chunked:
        environ.pop("CONTENT_LENGTH", None)
    request = Request(environ)
    request.max_content_length = LIMIT  # what the kernel's WSGI app sets
    return request


def respond(handler, request):
    try:
        return handler(Things(), request)
    except Exception as exc:  # noqa: BLE001 - rendered as kernel.web.http does
        return problem_from_exception(exc)


def problem_of(response, status):
    assert response.status_code == status
    assert response.mimetype == PROBLEM_CONTENT_TYPE
    body = json.loads(response.get_data())
    assert body["status"] == status
    return body


def test_a_valid_body_is_loaded_and_the_answer_dumped_with_the_response_schema():
    response = respond(Things.create, make_request(data=b'{"name": "lamp"}'))
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data()) == {"name": "lamp", "count": 1}


@pytest.mark.parametrize("data", [b"{", b'{"name": }', b"\xff\xfe\xfd", b'{"name": NaN}', b"[" * 100_000])
def test_malformed_json_is_a_400_problem(data):
    request = make_request(data=data)
    request.max_content_length = 200_000
    body = problem_of(respond(Things.create, request), 400)
    assert body["type"] == "urn:ecommunity:problem:malformed-json"
    assert "Traceback" not in body.get("detail", "")


def test_a_body_failing_the_schema_is_a_400_with_each_field_s_messages():
    body = problem_of(respond(Things.create, make_request(data=b'{"name": "", "count": "x", "extra": 1}')), 400)
    assert body["type"] == "urn:ecommunity:problem:invalid-input"
    assert body["errors"] == {
        "name": ["Length must be between 1 and 20."],
        "count": ["Not a valid integer."],
        "extra": ["Unknown field."],
    }


def test_json_that_is_not_an_object_fails_the_schema():
    body = problem_of(respond(Things.create, make_request(data=b"[1, 2]")), 400)
    assert body["errors"] == {"_schema": ["Invalid input type."]}


def test_a_missing_body_is_a_400():
    body = problem_of(respond(Things.create, make_request(data=b"")), 400)
    assert body["errors"] == {"_body": ["Missing body."]}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None])
def test_a_body_that_is_not_json_is_a_415(content_type):
    body = problem_of(respond(Things.create, make_request(data=b'{"name": "lamp"}', content_type=content_type)), 415)
    assert body["type"] == "urn:ecommunity:problem:unsupported-media-type"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_media_types_are_accepted(content_type):
    response = respond(Things.create, make_request(data=b'{"name": "lamp"}', content_type=content_type))
    assert response.status_code == 201


def test_a_body_longer_than_the_limit_is_a_413():
    data = json.dumps({"name": "x" * LIMIT}).encode()
    problem_of(respond(Things.create, make_request(data=data)), 413)


def test_a_chunked_body_is_read_and_limited_without_a_content_length():
    ok = respond(Things.create, make_request(data=b'{"name": "lamp"}', chunked=True))
    assert ok.status_code == 201
    too_long = json.dumps({"name": "x" * LIMIT}).encode()
    problem_of(respond(Things.create, make_request(data=too_long, chunked=True)), 413)


def test_a_chunked_body_of_exactly_the_limit_is_accepted():
    data = json.dumps({"name": "lamp"}).encode()
    data += b" " * (LIMIT - len(data))
    assert len(data) == LIMIT
    assert respond(Things.create, make_request(data=data, chunked=True)).status_code == 201


def test_the_query_is_loaded_with_its_schema():
    response = respond(Things.list, make_request(method="GET", query="limit=5"))
    assert json.loads(response.get_data()) == {"query": {"limit": 5, "cursor": None}}


def test_a_bad_query_is_a_400_with_each_parameter_s_messages():
    body = problem_of(respond(Things.list, make_request(method="GET", query="limit=500&cursor=%25%25&sort=x")), 400)
    assert set(body["errors"]) == {"limit", "cursor", "sort"}
