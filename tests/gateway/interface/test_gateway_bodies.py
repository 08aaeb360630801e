"""JSON bodies over real HTTP, through a gateway subclass with one route that takes a body.

The gateway has no body-taking operation of its own yet; ``EchoGateway`` adds one, so what every
later ``POST``/``PUT``/``PATCH`` will get is proven end to end (and stays out of the real document).
"""

import pytest
from marshmallow import Schema, fields, validate

from gateway.routing import route
from gateway.schemas import ResponseSchema
from gateway.service import GatewayService
from kernel.web import PROBLEM_CONTENT_TYPE

LIMIT = 512


class NoteSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1))
    stars = fields.Integer(validate=validate.Range(min=0, max=5))


class NoteEchoSchema(ResponseSchema):
    text = fields.String()
    stars = fields.Integer()


class EchoGateway(GatewayService):
    @route(
        "POST", "/v1/echo", summary="Echo a note", tags=["test"], body=NoteSchema, response=NoteEchoSchema, status=201
    )
    def echo(self, request, body):
        return body


@pytest.fixture
def echo(start_gateway):
    return start_gateway(gateway_cls=EchoGateway, services=(), gateway_max_body_bytes=LIMIT)


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["status"] == status
    return body


def test_a_valid_body_is_echoed(echo):
    response = echo.request("POST", "/v1/echo", json={"text": "hello", "stars": 4})
    assert response.status_code == 201
    assert response.json() == {"text": "hello", "stars": 4}


def test_malformed_json_is_a_400_problem(echo):
    response = echo.request("POST", "/v1/echo", data=b'{"text": "hel', headers={"Content-Type": "application/json"})
    body = problem(response, 400)
    assert body["type"] == "urn:ecommunity:problem:malformed-json"
    assert "Traceback" not in response.text


def test_a_body_failing_the_schema_is_a_400_with_per_field_errors(echo):
    body = problem(echo.request("POST", "/v1/echo", json={"stars": 9}), 400)
    assert body["errors"] == {
        "text": ["Missing data for required field."],
        "stars": ["Must be greater than or equal to 0 and less than or equal to 5."],
    }


def test_a_body_that_is_not_json_is_a_415(echo):
    problem(echo.request("POST", "/v1/echo", data="text=hello", headers={"Content-Type": "text/plain"}), 415)


def test_a_body_over_the_limit_is_a_413_with_or_without_a_length(echo):
    big = {"text": "x" * LIMIT}
    problem(echo.request("POST", "/v1/echo", json=big), 413)

    def chunks(payload: bytes):
        for start in range(0, len(payload), 100):
            yield payload[start : start + 100]

    chunked = echo.request(
        "POST",
        "/v1/echo",
        data=chunks(b'{"text": "' + b"x" * LIMIT + b'"}'),
        headers={"Content-Type": "application/json"},
    )
    problem(chunked, 413)
    small = echo.request(
        "POST", "/v1/echo", data=chunks(b'{"text": "chunked"}'), headers={"Content-Type": "application/json"}
    )
    assert small.status_code == 201
    assert small.json() == {"text": "chunked"}


def test_the_test_route_is_documented_only_for_the_subclass(echo):
    assert "/v1/echo" in echo.get("/openapi.json").json()["paths"]
