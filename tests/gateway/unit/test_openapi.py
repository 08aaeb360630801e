"""The OpenAPI document is valid 3.1, built from the routes alone, with problems everywhere."""

import json

import pytest
from marshmallow import Schema, fields
from openapi_spec_validator import validate

from gateway.openapi import build_openapi, openapi_json
from gateway.pagination import PageQuery, page_of
from gateway.routing import route
from gateway.schemas import ResponseSchema
from gateway.service import GatewayService
from kernel.web import PROBLEM_CONTENT_TYPE


class NewNoteSchema(Schema):
    text = fields.String(required=True)
    tags = fields.List(fields.String())


class NoteSchema(ResponseSchema):
    id = fields.Integer()
    text = fields.String()
    edited_at = fields.DateTime(allow_none=True)


class NoteQuery(PageQuery):
    tag = fields.String()


class Notes(GatewayService):
    @route(
        "POST",
        "/v1/notes",
        summary="Write a note",
        tags=["notes"],
        body=NewNoteSchema,
        response=NoteSchema,
        status=201,
        auth=True,
        responses={409: "A note with that text exists."},
    )
    def write(self, request, body, actor):
        return body

    @route("GET", "/v1/notes", summary="List notes", tags=["notes"], query=NoteQuery, response=page_of(NoteSchema))
    def list_notes(self, request, query):
        return {"items": [], "next_cursor": None}

    @route("DELETE", "/v1/notes/{note_id:int}", summary="Delete a note", tags=["notes"], status=204)
    def delete(self, request, note_id):
        return None


@pytest.fixture(scope="module")
def document():
    return build_openapi(Notes)


def test_the_gateway_document_is_valid_openapi_3_1():
    document = build_openapi(GatewayService)
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert {"/v1/ping", "/v1/ping/{service}", "/v1/services"} <= set(document["paths"])


def test_a_document_with_bodies_paths_auth_and_pages_is_valid_openapi_3_1(document):
    validate(document)


def test_every_operation_answers_problems_with_the_problem_schema(document):
    assert document["components"]["schemas"]["Problem"]["required"] == ["status", "title", "type"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "500" in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == {
                        PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }, (method, path, status)


def test_an_operation_with_a_body_documents_it_and_its_problems(document):
    write = document["paths"]["/v1/notes"]["post"]
    assert write["requestBody"]["required"] is True
    assert write["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NewNote"}
    assert sorted(write["responses"]) == ["201", "400", "401", "403", "409", "413", "415", "500"]
    assert write["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["components"]["schemas"]["NewNote"]["additionalProperties"] is False


def test_the_pagination_parameters_and_envelope_are_documented(document):
    listing = document["paths"]["/v1/notes"]["get"]
    query = {p["name"]: p for p in listing["parameters"] if p.get("in") == "query"}
    assert set(query) == {"limit", "cursor", "tag"}
    assert query["limit"]["schema"] == {"type": "integer", "default": 20, "minimum": 1, "maximum": 100}
    assert query["cursor"]["schema"] == {"type": "string"}
    envelope = document["components"]["schemas"]["NotePage"]
    assert envelope["required"] == ["items", "next_cursor"]
    assert envelope["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Note"}
    assert "additionalProperties" not in envelope  # responses may grow without breaking clients


def test_path_parameters_carry_their_type(document):
    delete = document["paths"]["/v1/notes/{note_id}"]["delete"]
    (note_id,) = [p for p in delete["parameters"] if p.get("in") == "path"]
    assert note_id == {"in": "path", "name": "note_id", "required": True, "schema": {"type": "integer", "minimum": 0}}
    assert "content" not in delete["responses"]["204"]


def test_nullable_fields_are_3_1_type_lists(document):
    assert document["openapi"] == "3.1.0"
    edited_at = document["components"]["schemas"]["Note"]["properties"]["edited_at"]
    assert edited_at["type"] == ["string", "null"]
    assert "nullable" not in edited_at


def test_a_test_subclass_s_routes_stay_out_of_the_gateway_document():
    assert "/v1/notes" not in build_openapi(GatewayService)["paths"]


def test_the_served_json_is_the_built_document():
    assert json.loads(openapi_json(GatewayService)) == build_openapi(GatewayService)


def test_revision_headers_of_contents_are_declared():
    paths = build_openapi(GatewayService)["paths"]
    save = paths["/v1/contents/{content_id}"]["patch"]
    headers = [p for p in save["parameters"] if isinstance(p, dict) and p.get("in") == "header"]
    assert [(p["name"], p["required"]) for p in headers] == [("If-Match", False)]
    assert "ETag" in save["responses"]["200"]["headers"]
    for path, method, status in (
        ("/v1/contents/{content_id}", "get", "200"),
        ("/v1/spaces/{space_id}/contents", "post", "201"),
        ("/v1/contents/{content_id}/restore", "post", "200"),
        ("/v1/contents/{content_id}/answers", "post", "201"),
    ):
        assert "ETag" in paths[path][method]["responses"][status]["headers"], (method, path)
