"""``route``: declarations checked when written, handlers served the kernel's way."""

import inspect
import json
import uuid

import pytest
from marshmallow import Schema, fields
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from gateway.routing import operations, parse_path, render, route
from kernel import errors
from kernel.web import HttpEntrypoint, problem_from_exception


def test_parse_path_gives_the_openapi_path_the_werkzeug_rule_and_the_parameters():
    path, rule, parameters = parse_path("/v1/spaces/{space_id:uuid}/items/{n:int}/{slug}")
    assert path == "/v1/spaces/{space_id}/items/{n}/{slug}"
    assert rule == "/v1/spaces/<uuid:space_id>/items/<int:n>/<slug>"
    assert [(p.name, p.converter) for p in parameters] == [("space_id", "uuid"), ("n", "int"), ("slug", "str")]


@pytest.mark.parametrize(
    "path",
    ["v1/x", "/v1/<x>", "/v1/{x:float}", "/v1/{body}", "/v1/{a}/{a}", "/v1/{x", "/v1/{1x}"],
)
def test_a_malformed_path_is_refused_when_declared(path):
    with pytest.raises(ValueError, match="path"):
        route("GET", path, summary="s", tags=["t"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "TRACE"},
        {"method": "GET", "body": Schema},
        {"method": "POST", "status": 404},
        {"method": "POST", "responses": {200: "not a problem"}},
    ],
)
def test_an_impossible_declaration_is_refused(kwargs):
    method = kwargs.pop("method")
    with pytest.raises(ValueError, match=r"."):  # each case has its own message
        route(method, "/v1/x", summary="s", tags=["t"], **kwargs)


@pytest.mark.parametrize(
    ("path", "kwargs", "handler"),
    [
        ("/v1/x/{item_id}", {}, lambda self, request: None),  # no item_id
        ("/v1/x", {"body": Schema}, lambda self, request: None),  # no body
        ("/v1/x", {"query": Schema}, lambda self, request, body: None),  # body, not query
        ("/v1/x", {}, lambda self: None),  # no request
    ],
)
def test_a_handler_that_cannot_take_what_its_route_passes_is_refused_at_import(path, kwargs, handler):
    with pytest.raises(TypeError, match="must take"):
        route("POST", path, summary="s", tags=["t"], **kwargs)(handler)


class Shop:
    name = "shop"

    @route(
        "GET",
        "/v1/items/{item_id:uuid}",
        summary="Get an item",
        tags=["items"],
        response=Schema.from_dict({"id": fields.UUID()}),
        responses={404: "No such item."},
    )
    def get_item(self, request, item_id):
        """Reads one item.

        Indented second paragraph."""
        return {"id": item_id}

    @route("DELETE", "/v1/items/{item_id:uuid}", summary="Delete an item", tags=["items"], status=204)
    def delete_item(self, request, item_id):
        return {"ignored": True}

    @route("POST", "/v1/orders", summary="Order", tags=["orders"], auth=True)
    def order(self, request, actor):
        raise AssertionError("a service without an Authenticator verifies no token: the route is closed")


class BiggerShop(Shop):
    @route("GET", "/v1/health", summary="Health", tags=["ops"])
    def health(self, request):
        return Response("plain", mimetype="text/plain")


def request(method="GET", headers=None):
    return Request(EnvironBuilder(method=method, headers=headers).get_environ())


def test_the_handler_gets_path_values_and_its_answer_is_dumped():
    item_id = uuid.uuid4()
    response = Shop.get_item(Shop(), request(), item_id=item_id)
    assert response.status_code == 200
    assert json.loads(response.get_data()) == {"id": str(item_id)}


def test_a_204_route_answers_no_body():
    response = Shop.delete_item(Shop(), request("DELETE"), item_id=uuid.uuid4())
    assert response.status_code == 204
    assert response.get_data() == b""


def test_a_response_returned_by_the_handler_is_sent_as_it_is():
    response = BiggerShop.health(BiggerShop(), request())
    assert response.get_data() == b"plain"
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize("headers", [None, {"Authorization": "Bearer abc"}, {"Authorization": "Basic abc"}])
def test_an_auth_route_without_an_authenticator_fails_closed_with_a_401(headers):
    with pytest.raises(errors.Unauthenticated) as caught:
        Shop.order(Shop(), request("POST", headers))
    assert problem_from_exception(caught.value).status_code == 401


def test_nameko_checks_the_wrapper_s_signature_not_the_handler_s():
    # nameko's check_signature uses inspect.getcallargs, which does not follow __wrapped__
    inspect.getcallargs(Shop.get_item, None, request(), item_id=uuid.uuid4())
    with pytest.raises(TypeError):
        inspect.getcallargs(Shop.order, None)


def test_the_kernel_entrypoint_serves_the_werkzeug_rule():
    (entrypoint,) = Shop.get_item.nameko_entrypoints
    assert isinstance(entrypoint, HttpEntrypoint)
    assert (entrypoint.method, entrypoint.url) == ("GET", "/v1/items/<uuid:item_id>")
    assert errors.ServiceError in entrypoint.expected_exceptions


def test_operations_are_collected_from_the_class_and_its_bases_in_a_stable_order():
    found = [(op.method, op.path, op.operation_id) for op in operations(BiggerShop)]
    assert found == [
        ("GET", "/v1/health", "health"),
        ("GET", "/v1/items/{item_id}", "get_item"),
        ("DELETE", "/v1/items/{item_id}", "delete_item"),
        ("POST", "/v1/orders", "order"),
    ]
    assert [op.operation_id for op in operations(Shop)] == ["get_item", "delete_item", "order"]


def test_the_docstring_becomes_the_description():
    (get_item,) = [op for op in operations(Shop) if op.operation_id == "get_item"]
    assert get_item.description == "Reads one item.\n\nIndented second paragraph."


def test_two_handlers_for_one_method_and_path_are_refused():
    class Twice:
        @route("GET", "/v1/x", summary="a", tags=["t"])
        def first(self, request):
            return {}

        @route("GET", "/v1/x", summary="b", tags=["t"])
        def second(self, request):
            return {}

    with pytest.raises(ValueError, match="declared twice"):
        operations(Twice)


def test_problem_statuses_follow_what_the_operation_takes():
    by_id = {op.operation_id: op for op in operations(Shop)}
    assert list(by_id["get_item"].problem_statuses()) == [404, 500]
    assert list(by_id["order"].problem_statuses()) == [401, 403, 500]

    class Create:
        @route("POST", "/v1/x", summary="c", tags=["t"], body=Schema, responses={409: "Taken."})
        def create(self, request, body):
            return {}

    (create,) = operations(Create)
    assert list(create.problem_statuses()) == [400, 409, 413, 415, 500]


def test_render_without_a_response_schema_sends_the_payload_as_json():
    response = render({"a": 1}, 200, None)
    assert json.loads(response.get_data()) == {"a": 1}
    assert response.mimetype == "application/json"
