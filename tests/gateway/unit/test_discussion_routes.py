"""The comment, reaction and answer routes with the publishing RPC mocked (nameko's worker_factory):
what each sends to the publishing service, what it refuses before calling it, and what it answers."""

import uuid

import pytest

from gateway.openapi import build_openapi
from gateway.pagination import decode_cursor, encode_cursor
from gateway.service import GatewayService
from kernel import errors
from kernel.auth import Actor
from kernel.events.catalog.publishing import REACTIONS
from tests.gateway.unit.handlers import answered, gateway_as, rpc_calls
from tests.gateway.unit.handlers import request as call

ALICE = Actor(user_id=str(uuid.uuid4()), platform_role="member", expert=True)
CONTENT_ID = uuid.uuid4()
COMMENT = {
    "id": str(uuid.uuid4()),
    "content_id": str(CONTENT_ID),
    "parent_id": None,
    "author_id": ALICE.user_id,
    "body": "Hi",
    "body_html": "<p>Hi</p>",
    "created_at": "2030-01-02T03:04:05+00:00",
}


@pytest.fixture
def gateway():
    return gateway_as(ALICE)


def test_the_reaction_vocabulary_is_documented():
    schemas = build_openapi(GatewayService)["components"]["schemas"]
    assert schemas["Reaction"]["properties"]["reaction"]["enum"] == list(REACTIONS)
    assert schemas["NewComment"]["properties"]["body"]["maxLength"] == 10_000
    assert schemas["NewComment"]["required"] == ["body"]


def test_comments_are_listed_to_anyone_with_a_cursor(gateway):
    position = {"created_at": COMMENT["created_at"], "id": COMMENT["id"]}
    gateway.services.call.return_value = {"items": [{**COMMENT, "internal": 1}], "next": position}
    cursor = encode_cursor({"created_at": "2030-01-01T00:00:00+00:00", "id": COMMENT["id"]})
    status, page = answered(
        gateway.list_comments(call("GET", query={"limit": 5, "cursor": cursor}, token=False), content_id=CONTENT_ID)
    )
    assert status == 200
    assert page["items"] == [COMMENT]  # dumped by the Comment schema
    assert decode_cursor(page["next_cursor"]) == position
    assert rpc_calls(gateway) == [
        ("publishing", "list_comments", None, str(CONTENT_ID), 5, decode_cursor(cursor)),
    ]


def test_a_comment_is_sent_with_its_parent_and_answered_201(gateway):
    parent = uuid.uuid4()
    gateway.services.call.return_value = {**COMMENT, "parent_id": str(parent)}
    response = gateway.add_comment(
        call("POST", {"body": "Hi", "parent_id": str(parent).upper()}), content_id=CONTENT_ID
    )
    assert answered(response) == (201, {**COMMENT, "parent_id": str(parent)})
    assert rpc_calls(gateway) == [("publishing", "add_comment", ALICE.as_dict(), str(CONTENT_ID), "Hi", str(parent))]


@pytest.mark.parametrize(
    ("handler", "body", "field"),
    [
        ("add_comment", {}, "body"),
        ("add_comment", {"body": ""}, "body"),
        ("add_comment", {"body": "x" * 10_001}, "body"),
        ("add_comment", {"body": "x", "parent_id": "nope"}, "parent_id"),
        ("add_comment", {"body": "x", "colour": "blue"}, "colour"),
        ("react", {"reaction": "dislike"}, "reaction"),
        ("react", {}, "reaction"),
        ("post_answer", {"body": ""}, "body"),
        ("post_answer", {"body": "x", "knowledge_level": "secret"}, "knowledge_level"),
        ("post_answer", {"body": "x", "title": "no"}, "title"),
    ],
)
def test_bad_bodies_are_refused_before_any_call(gateway, handler, body, field):
    with pytest.raises(errors.InvalidInput) as caught:
        getattr(gateway, handler)(call("POST", body), content_id=CONTENT_ID)
    assert field in caught.value.extra["errors"]
    assert not gateway.services.call.called


def test_writing_needs_a_token(gateway):
    for handler, body in (
        ("add_comment", {"body": "x"}),
        ("react", {"reaction": "like"}),
        ("post_answer", {"body": "x"}),
    ):
        with pytest.raises(errors.Unauthenticated):
            getattr(gateway, handler)(call("POST", body, token=False), content_id=CONTENT_ID)
    with pytest.raises(errors.Unauthenticated):
        gateway.accept_answer(call("POST", token=False), answer_id=CONTENT_ID)
    assert not gateway.services.call.called


def test_a_reaction_answers_the_counts(gateway):
    counts = {"content_id": str(CONTENT_ID), "reactions": {"like": 2}, "mine": ["like"]}
    gateway.services.call.return_value = counts
    assert answered(gateway.react(call("POST", {"reaction": "like"}), content_id=CONTENT_ID)) == (200, counts)
    assert rpc_calls(gateway) == [("publishing", "react", ALICE.as_dict(), str(CONTENT_ID), "like")]


def test_an_answer_is_created_with_its_etag_and_accepted(gateway):
    answer = {"id": str(uuid.uuid4()), "type": "answer", "revision": 1, "by_expert": True, "state": "draft"}
    gateway.services.call.return_value = answer
    response = gateway.post_answer(call("POST", {"body": "So.", "knowledge_level": "public"}), content_id=CONTENT_ID)
    status, created = answered(response)
    assert (status, response.headers["ETag"], created["by_expert"]) == (201, '"1"', True)
    question = {"id": str(CONTENT_ID), "type": "question", "revision": 2, "accepted_answer_id": answer["id"]}
    gateway.services.call.return_value = question
    status, accepted = answered(gateway.accept_answer(call("POST"), answer_id=uuid.UUID(answer["id"])))
    assert (status, accepted["accepted_answer_id"]) == (200, answer["id"])
    assert rpc_calls(gateway) == [
        ("publishing", "post_answer", ALICE.as_dict(), str(CONTENT_ID), {"body": "So.", "knowledge_level": "public"}),
        ("publishing", "accept_answer", ALICE.as_dict(), answer["id"]),
    ]
