"""The search route: its OpenAPI description, and its own logic with the publishing RPC mocked
(nameko's worker_factory) — what it sends to the publishing service (the actor or ``None``, the
decoded cursor, the filters) and what it refuses before calling it (a strict query string)."""

import json
import uuid

import pytest

from gateway.pagination import decode_cursor, encode_cursor
from kernel.auth import Actor
from tests.gateway.unit.handlers import gateway_as, request, valid_document
from tests.gateway.unit.handlers import refused as refused_by

ALICE = Actor(user_id=str(uuid.uuid4()), platform_role="member")
HIT = {
    "content_id": str(uuid.uuid4()),
    "community_id": str(uuid.uuid4()),
    "space_id": str(uuid.uuid4()),
    "type": "reply",
    "title": None,
    "snippet": "about <mark>bees</mark>",
    "rank": 0.4,
    "published_at": "2026-01-01T00:00:00+00:00",
    "body": "not sent",
}


@pytest.fixture
def gateway():
    return gateway_as(ALICE)


@pytest.fixture(scope="module")
def document():
    return valid_document()


def call(query=None, token=True):
    return request("GET", query=query, token=token)


def refused(gateway, query):
    found = refused_by(gateway.search, call(query))
    assert not gateway.services.call.called
    return found


def test_search_is_documented_with_its_query_and_answers(document):
    operation = document["paths"]["/v1/search"]["get"]
    assert (operation["operationId"], operation["tags"]) == ("search", ["search"])
    parameters = {p["name"]: p for p in operation["parameters"] if "in" in p}
    assert set(parameters) == {"q", "community_id", "space_id", "type", "limit", "cursor"}
    assert parameters["q"]["required"] is True
    assert (parameters["q"]["schema"]["minLength"], parameters["q"]["schema"]["maxLength"]) == (1, 200)
    assert parameters["community_id"]["schema"]["format"] == "uuid"
    assert {"200", "400"} <= set(operation["responses"])
    page = document["components"]["schemas"]["SearchHitPage"]
    hit = document["components"]["schemas"]["SearchHit"]
    assert page["properties"]["items"]["items"]["$ref"].endswith("/SearchHit")
    assert set(hit["properties"]) == {
        "content_id", "community_id", "space_id", "type", "title", "snippet", "rank", "published_at"
    }  # fmt: skip


def test_search_sends_the_actor_filters_and_cursor_and_answers_a_page(gateway):
    gateway.services.call.return_value = {"items": [HIT], "next": {"rank": "0.4", "published_at": "t", "id": "i"}}
    community_id, space_id = uuid.uuid4(), uuid.uuid4()
    cursor = encode_cursor({"rank": "0.5", "published_at": "s", "id": "h"})
    query = {"q": "bees", "community_id": str(community_id), "space_id": str(space_id), "type": "news"}
    response = gateway.search(call({**query, "limit": "5", "cursor": cursor}))
    page = json.loads(response.get_data())
    assert response.status_code == 200
    assert page["items"][0]["title"] is None
    assert "body" not in page["items"][0]
    assert decode_cursor(page["next_cursor"]) == {"rank": "0.4", "published_at": "t", "id": "i"}
    gateway.search(call({"q": "bees"}, token=False))
    assert [c.args for c in gateway.services.call.call_args_list] == [
        (
            "publishing",
            "search",
            ALICE.as_dict(),
            "bees",
            5,
            {"rank": "0.5", "published_at": "s", "id": "h"},
            str(community_id),
            str(space_id),
            "news",
        ),
        ("publishing", "search", None, "bees", 20, None, None, None, None),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "bees", "community_id": "nope"}, "community_id"),
        ({"q": "bees", "space_id": "nope"}, "space_id"),
        ({"q": "bees", "limit": "101"}, "limit"),
        ({"q": "bees", "cursor": "!!"}, "cursor"),
        ({"q": "bees", "sort": "new"}, "sort"),
    ],
)
def test_a_bad_query_string_is_refused_before_any_call(gateway, query, field):
    assert field in refused(gateway, query)
