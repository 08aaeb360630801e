"""The content, moderation and feed routes: their OpenAPI description, and their own logic with the
publishing RPC mocked (nameko's worker_factory) — what each sends to the publishing service, what it
refuses before calling it (bodies, queries, ``If-Match``), and the ``ETag`` it answers with."""

import uuid

import pytest

from gateway.pagination import decode_cursor, encode_cursor
from kernel import errors
from kernel.auth import Actor
from kernel.events.catalog.publishing import CONTENT_STATES, KNOWLEDGE_LEVELS
from kernel.web import PROBLEM_CONTENT_TYPE
from tests.gateway.unit.handlers import answered, gateway_as, refused, rpc_calls, valid_document
from tests.gateway.unit.handlers import request as call

ONE = "/v1/contents/{content_id}"
PAGE = {"limit", "cursor"}
DECISION = {403, 404, 409}

#: (method, path) -> (operationId, auth, success status, request body component, query parameters, problems)
OPERATIONS = {
    ("get", "/v1/content-types"): ("list_content_types", "optional", 200, None, set(), set()),
    ("post", "/v1/spaces/{space_id}/contents"): (
        "create_content",
        True,
        201,
        "NewContent",
        set(),
        {403, 404, 409, 413, 422},
    ),
    ("get", ONE): ("get_content", "optional", 200, None, set(), {404}),
    ("patch", ONE): ("update_content", True, 200, "ContentChanges", set(), {400, 403, 404, 409, 413, 422, 428}),
    ("delete", ONE): ("delete_content", True, 204, None, set(), DECISION),
    ("post", ONE + "/submit"): ("submit_content", True, 200, None, set(), DECISION),
    ("post", ONE + "/approve"): ("approve_content", True, 200, None, set(), DECISION),
    ("post", ONE + "/reject"): ("reject_content", True, 200, "ContentRejection", set(), DECISION),
    ("post", ONE + "/publish"): ("publish_content", True, 200, None, set(), DECISION),
    ("post", ONE + "/archive"): ("archive_content", True, 200, None, set(), DECISION),
    ("get", ONE + "/revisions"): ("list_revisions", True, 200, None, PAGE, {404}),
    ("get", ONE + "/diff"): ("diff_revisions", True, 200, None, {"from", "to"}, {404}),
    ("post", ONE + "/restore"): ("restore_revision", True, 200, "Restore", set(), DECISION),
    ("get", "/v1/communities/{community_id}/moderation-queue"): ("moderation_queue", True, 200, None, PAGE, {404}),
    ("get", "/v1/spaces/{space_id}/feed"): ("space_feed", "optional", 200, None, PAGE, {404}),
    ("get", "/v1/communities/{community_id}/feed"): ("community_feed", "optional", 200, None, PAGE, {404}),
    ("get", "/v1/me/feed"): ("my_feed", True, 200, None, PAGE, set()),
    # comments, reactions, answers (gateway.discussion)
    ("get", ONE + "/comments"): ("list_comments", "optional", 200, None, PAGE, {404}),
    ("post", ONE + "/comments"): ("add_comment", True, 201, "NewComment", set(), {403, 404, 409, 422}),
    ("post", ONE + "/reactions"): ("react", True, 200, "Reaction", set(), {404, 409}),
    ("post", ONE + "/answers"): ("post_answer", True, 201, "NewAnswer", set(), {403, 404, 409, 413, 422}),
    ("post", "/v1/answers/{answer_id}/accept"): ("accept_answer", True, 200, None, set(), DECISION),
}
#: operations answering one content item, which carry its revision as ETag
TAGGED = {"create_content", "get_content", "update_content", "restore_revision", "post_answer", "accept_answer"}


@pytest.fixture
def gateway():
    return gateway_as(ALICE)


@pytest.fixture(scope="module")
def document():
    return valid_document()


def schema_of(document, reference):
    return document["components"]["schemas"][reference["$ref"].rsplit("/", 1)[1]]


# -- the document ----------------------------------------------------------------------------------


def test_every_content_and_feed_operation_is_in_the_document(document):
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if set(operation["tags"]) & {"contents", "feeds"}
    }
    assert documented == set(OPERATIONS)
    feeds = {operation_id for operation_id, *_ in OPERATIONS.values() if operation_id.endswith("feed")}
    for (method, path), (operation_id, *_) in OPERATIONS.items():
        expected = ["feeds"] if operation_id in feeds else ["contents"]
        assert document["paths"][path][method]["tags"] == expected


@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS))
def test_each_operation_is_documented_with_its_inputs_and_answers(document, method, path):
    operation_id, auth, status, body, query, problems = OPERATIONS[(method, path)]
    operation = document["paths"][path][method]
    assert operation["operationId"] == operation_id
    assert operation["summary"]
    assert len(operation["description"]) > 60, "the docstring says who may call it and what happens"

    parameters = [p for p in operation["parameters"] if "in" in p]
    path_names = {p["name"] for p in parameters if p["in"] == "path"}
    assert path_names == {part[1:-1] for part in path.split("/") if part.startswith("{")}
    for parameter in parameters:
        if parameter["in"] == "path":
            assert parameter["schema"] == {"type": "string", "format": "uuid"}
    assert {p["name"] for p in parameters if p["in"] == "query"} == query

    if body is None:
        assert "requestBody" not in operation
    else:
        assert operation["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{body}"
        }
        assert document["components"]["schemas"][body]["additionalProperties"] is False

    success = operation["responses"][str(status)]
    if status == 204:
        assert "content" not in success
    else:
        assert schema_of(document, success["content"]["application/json"]["schema"])["properties"]

    expected = {500} | problems
    if body is not None or query:
        expected |= {400}
    if body is not None:
        expected |= {413, 415}
    if auth:
        expected |= {401, 403}
    assert {int(code) for code in operation["responses"] if int(code) >= 400} == expected
    for code in expected:
        problem = operation["responses"][str(code)]
        assert problem["description"]
        assert problem["content"] == {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}

    if auth == "optional":
        assert operation["security"] == [{}, {"bearerAuth": []}]
    else:
        assert operation["security"] == [{"bearerAuth": []}]
    if operation_id in TAGGED:
        assert "ETag" in operation["description"]


def test_a_save_documents_if_match_and_the_edit_conflict(document):
    save = document["paths"][ONE]["patch"]
    assert "If-Match" in save["description"]
    assert "If-Match" in save["responses"]["400"]["description"]
    conflict = save["responses"]["409"]["description"]
    assert "edit-conflict" in conflict
    for member in ("`base`", "`theirs`", "`yours`", "`proposal`", "`conflicts`", "`current_revision`"):
        assert member in conflict, member
        if member not in ("`conflicts`", "`current_revision`"):
            assert member in save["description"], member
    assert "co-edited" in save["responses"]["428"]["description"]


def test_the_request_bodies_state_their_limits_and_vocabularies(document):
    schemas = document["components"]["schemas"]
    new = schemas["NewContent"]
    assert new["required"] == ["type"]
    assert new["properties"]["type"]["maxLength"] == 40
    assert new["properties"]["title"]["maxLength"] == 300
    assert new["properties"]["knowledge_level"]["enum"] == list(KNOWLEDGE_LEVELS)
    assert new["properties"]["fields"]["type"] == "object"
    assert new["properties"]["parent_id"]["format"] == "uuid"
    assert new["properties"]["publish_at"]["format"] == "date-time"
    assert "maxLength" not in new["properties"]["body"]  # the service's limit: a 413, documented in words
    changes = schemas["ContentChanges"]
    assert set(changes["properties"]) == {"title", "body", "fields", "knowledge_level", "base_revision"}
    assert changes["properties"]["base_revision"]["minimum"] == 1
    rejection = schemas["ContentRejection"]
    assert (rejection["required"], rejection["properties"]["reason"]["maxLength"]) == (["reason"], 1000)
    assert schemas["Restore"]["required"] == ["revision"]
    diff_query = {p["name"]: p for p in document["paths"][ONE + "/diff"]["get"]["parameters"] if "in" in p}
    for name in ("from", "to"):
        assert diff_query[name]["required"] is True
        assert diff_query[name]["schema"]["minimum"] == 1


def test_the_responses_describe_their_fields(document):
    schemas = document["components"]["schemas"]
    content = schemas["Content"]["properties"]
    assert {
        "id",
        "community_id",
        "space_id",
        "type",
        "parent_id",
        "author_id",
        "title",
        "body",
        "body_html",
        "fields",
        "knowledge_level",
        "state",
        "step",
        "revision",
        "publish_at",
        "published_at",
        "created_at",
        "updated_at",
        "my_actions",
        "history",
        "merged",
        "accepted_answer_id",
        "by_expert",
        "reactions",
        "comments_count",
        "registrations_count",
        "locked",
        "hidden",
    } == set(content)
    assert content["state"]["enum"] == list(CONTENT_STATES)
    assert content["knowledge_level"]["enum"] == list(KNOWLEDGE_LEVELS)
    assert set(content["my_actions"]["items"]["enum"]) == {
        "edit",
        "submit",
        "approve",
        "reject",
        "publish",
        "archive",
        "restore",
    }
    transition = schema_of(document, content["history"]["items"])
    assert {"actor_id", "at", "from_state", "to_state", "step", "reason"} <= set(transition["properties"])
    assert {"number", "title", "body", "fields", "author_id", "created_at"} <= set(schemas["Revision"]["properties"])
    assert {"title", "body", "fields"} <= set(schemas["Diff"]["properties"])
    assert {"name", "module", "titled", "parent", "co_edited", "fields"} <= set(schemas["ContentType"]["properties"])
    assert schemas["ContentTypeList"]["required"] == ["items"]
    for page in ("ContentPage", "RevisionPage"):
        assert schemas[page]["required"] == ["items", "next_cursor"]
    for name in ("Content", "Revision", "Diff", "ContentType"):
        assert "additionalProperties" not in schemas[name], name  # responses may grow


# -- the handlers, with the publishing RPC mocked -------------------------------------------------

ALICE = Actor(user_id=str(uuid.uuid4()), platform_role="member")
CONTENT_ID = uuid.uuid4()
ITEM = {"id": str(CONTENT_ID), "type": "news", "title": "Hello", "revision": 3, "state": "draft", "internal": "x"}


def test_content_types_come_in_an_envelope_to_anyone(gateway):
    described = {"name": "news", "module": "news", "titled": True, "parent": None, "co_edited": False}
    described["fields"] = [{"name": "summary", "type": "string", "required": False}]
    gateway.services.call.return_value = [described]
    assert answered(gateway.list_content_types(call("GET", token=False))) == (200, {"items": [described]})
    assert rpc_calls(gateway) == [("publishing", "list_content_types")]


def test_a_new_item_is_sent_with_the_caller_and_answered_with_its_etag(gateway):
    space_id, parent_id = uuid.uuid4(), uuid.uuid4()
    gateway.services.call.return_value = {**ITEM, "revision": 1}
    body = {
        "type": "reply",
        "body": "*Hi*",
        "fields": {},
        "knowledge_level": "extended",
        "parent_id": str(parent_id).upper(),
        "publish_at": "2030-01-02T03:04:05+02:00",
    }
    response = gateway.create_content(call("POST", body), space_id=space_id)
    status, created = answered(response)
    assert (status, response.headers["ETag"]) == (201, '"1"')
    assert "internal" not in created  # dumped by the Content schema
    sent = {**body, "parent_id": str(parent_id), "publish_at": "2030-01-02T03:04:05+02:00"}
    assert rpc_calls(gateway) == [("publishing", "create_content", ALICE.as_dict(), str(space_id), sent)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "No type"}, "type"),
        ({"type": "x" * 41}, "type"),
        ({"type": "news", "title": "t" * 301}, "title"),
        ({"type": "news", "title": ""}, "title"),
        ({"type": "news", "knowledge_level": "secret"}, "knowledge_level"),
        ({"type": "news", "fields": ["summary"]}, "fields"),
        ({"type": "news", "parent_id": "not-a-uuid"}, "parent_id"),
        ({"type": "news", "publish_at": "2030-01-02T03:04:05"}, "publish_at"),  # no offset: ambiguous
        ({"type": "news", "publish_at": "tomorrow"}, "publish_at"),
        ({"type": "news", "body": 42}, "body"),
        ({"type": "news", "colour": "blue"}, "colour"),
        ({"type": "news", "base_revision": 1}, "base_revision"),  # a new item has no base
    ],
)
def test_a_bad_new_item_is_a_400_naming_the_field(gateway, body, field):
    assert field in refused(gateway.create_content, call("POST", body), space_id=uuid.uuid4())
    assert not gateway.services.call.called


def test_an_anonymous_visitor_reads_an_item_with_its_etag(gateway):
    gateway.services.call.return_value = ITEM
    response = gateway.get_content(call("GET", token=False), content_id=CONTENT_ID)
    assert answered(response) == (200, {k: v for k, v in ITEM.items() if k != "internal"})
    assert response.headers["ETag"] == '"3"'
    assert rpc_calls(gateway) == [("publishing", "get_content", None, str(CONTENT_ID))]
    gateway.get_content(call("GET"), content_id=CONTENT_ID)
    assert rpc_calls(gateway)[1] == ("publishing", "get_content", ALICE.as_dict(), str(CONTENT_ID))


@pytest.mark.parametrize(
    ("if_match", "body", "base_revision"),
    [
        ('"3"', {}, 3),
        ("3", {}, 3),
        ('W/"3"', {}, 3),
        (' "12" ', {}, 12),
        (None, {}, None),
        (None, {"base_revision": 2}, 2),
        ('"2"', {"base_revision": 2}, 2),
    ],
)
def test_a_save_reads_its_base_revision_from_if_match_or_the_body(gateway, if_match, body, base_revision):
    gateway.services.call.return_value = {**ITEM, "revision": 4, "merged": True}
    headers = {"If-Match": if_match} if if_match is not None else {}
    response = gateway.update_content(call("PATCH", {"body": "new", **body}, headers=headers), content_id=CONTENT_ID)
    status, saved = answered(response)
    assert (status, response.headers["ETag"], saved["revision"], saved["merged"]) == (200, '"4"', 4, True)
    assert rpc_calls(gateway) == [
        ("publishing", "update_content", ALICE.as_dict(), str(CONTENT_ID), {"body": "new"}, base_revision)
    ]


@pytest.mark.parametrize(
    "if_match", ["abc", '"0"', "0", '"-1"', "*", '"3", "4"', '"3', "W/3", '"99999999999"', '"2147483648"', ""]
)
def test_a_malformed_if_match_is_a_400_naming_it(gateway, if_match):
    request = call("PATCH", {"title": "New"}, headers={"If-Match": if_match})
    assert "If-Match" in refused(gateway.update_content, request, content_id=CONTENT_ID)
    assert not gateway.services.call.called


def test_if_match_and_base_revision_that_differ_are_a_400(gateway):
    request = call("PATCH", {"title": "New", "base_revision": 2}, headers={"If-Match": '"3"'})
    assert {"If-Match", "base_revision"} <= set(refused(gateway.update_content, request, content_id=CONTENT_ID))
    assert not gateway.services.call.called


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "_schema"),
        ({"base_revision": 3}, "_schema"),  # nothing to change
        ({"title": "x", "base_revision": 0}, "base_revision"),
        ({"title": "x", "base_revision": "3"}, "base_revision"),
        ({"title": "x", "base_revision": True}, "base_revision"),
        ({"title": "x", "base_revision": 2**31}, "base_revision"),
        ({"type": "topic"}, "type"),  # the type never changes
        ({"parent_id": None, "title": "x"}, "parent_id"),
        ({"knowledge_level": "internal"}, "knowledge_level"),
        ({"fields": "summary"}, "fields"),
    ],
)
def test_a_bad_save_is_a_400_naming_the_field(gateway, body, field):
    assert field in refused(gateway.update_content, call("PATCH", body), content_id=CONTENT_ID)
    assert not gateway.services.call.called


def test_an_anonymous_caller_cannot_write(gateway):
    with pytest.raises(errors.Unauthenticated):
        gateway.create_content(call("POST", {"type": "news"}, token=False), space_id=uuid.uuid4())
    with pytest.raises(errors.Unauthenticated):
        gateway.update_content(call("PATCH", {"title": "x"}, token=False), content_id=CONTENT_ID)
    for handler in (gateway.submit_content, gateway.approve_content, gateway.delete_content):
        with pytest.raises(errors.Unauthenticated):
            handler(call("POST", token=False), content_id=CONTENT_ID)
    with pytest.raises(errors.Unauthenticated):
        gateway.my_feed(call("GET", token=False))
    assert not gateway.services.call.called


def test_the_workflow_calls_name_the_caller_and_the_item(gateway):
    gateway.services.call.return_value = ITEM
    for handler in (
        gateway.submit_content,
        gateway.approve_content,
        gateway.publish_content,
        gateway.archive_content,
    ):
        status, item = answered(handler(call("POST"), content_id=CONTENT_ID))
        assert (status, item["id"]) == (200, str(CONTENT_ID))
    assert gateway.delete_content(call("DELETE"), content_id=CONTENT_ID).status_code == 204
    gateway.reject_content(call("POST", {"reason": "Off topic"}), content_id=CONTENT_ID)
    item = (ALICE.as_dict(), str(CONTENT_ID))
    assert rpc_calls(gateway) == [
        ("publishing", "submit_content", *item),
        ("publishing", "approve_content", *item),
        ("publishing", "publish_content", *item),
        ("publishing", "archive_content", *item),
        ("publishing", "archive_content", *item),
        ("publishing", "reject_content", *item, "Off topic"),
    ]


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 1001}, {"reason": "ok", "step": "review"}])
def test_a_rejection_needs_a_reason_of_1_to_1000_characters(gateway, body):
    assert refused(gateway.reject_content, call("POST", body), content_id=CONTENT_ID)
    assert not gateway.services.call.called


def test_revisions_are_paged_and_compared(gateway):
    gateway.services.call.return_value = {"items": [{"number": 2, "body": "b"}], "next": {"number": 2}}
    cursor = encode_cursor({"number": 1})
    status, page = answered(
        gateway.list_revisions(call("GET", query={"limit": "1", "cursor": cursor}), content_id=CONTENT_ID)
    )
    assert (status, page["items"]) == (200, [{"number": 2, "body": "b"}])
    assert decode_cursor(page["next_cursor"]) == {"number": 2}
    diff = {"title": {"from": "a", "to": "b"}, "fields": {"summary": {"from": None, "to": "s"}}, "body": "@@ x"}
    gateway.services.call.return_value = diff
    assert answered(gateway.diff_revisions(call("GET", query={"from": "1", "to": "3"}), content_id=CONTENT_ID)) == (
        200,
        diff,
    )
    assert rpc_calls(gateway) == [
        ("publishing", "list_revisions", ALICE.as_dict(), str(CONTENT_ID), 1, {"number": 1}),
        ("publishing", "diff_revisions", ALICE.as_dict(), str(CONTENT_ID), 1, 3),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "2"}, "from"),
        ({"from": "1"}, "to"),
        ({"from": "0", "to": "2"}, "from"),
        ({"from": "a", "to": "2"}, "from"),
    ],
)
def test_a_diff_needs_two_revisions(gateway, query, field):
    assert field in refused(gateway.diff_revisions, call("GET", query=query), content_id=CONTENT_ID)
    assert not gateway.services.call.called


def test_a_restore_names_a_revision_and_answers_the_new_etag(gateway):
    assert "revision" in refused(gateway.restore_revision, call("POST", {}), content_id=CONTENT_ID)
    assert "revision" in refused(gateway.restore_revision, call("POST", {"revision": 0}), content_id=CONTENT_ID)
    gateway.services.call.return_value = {**ITEM, "revision": 5}
    response = gateway.restore_revision(call("POST", {"revision": 2}), content_id=CONTENT_ID)
    assert (response.status_code, response.headers["ETag"]) == (200, '"5"')
    assert rpc_calls(gateway) == [("publishing", "restore_revision", ALICE.as_dict(), str(CONTENT_ID), 2)]


def test_feeds_and_the_queue_page_with_cursors_and_anonymous_feeds_send_no_actor(gateway):
    gateway.services.call.return_value = {"items": [ITEM], "next": {"published_at": "t", "id": "i"}}
    space_id, community_id = uuid.uuid4(), uuid.uuid4()
    cursor = encode_cursor({"published_at": "s", "id": "h"})
    status, page = answered(gateway.space_feed(call("GET", query={"cursor": cursor}, token=False), space_id=space_id))
    assert status == 200
    assert page["items"][0]["id"] == str(CONTENT_ID)
    assert "internal" not in page["items"][0]
    assert decode_cursor(page["next_cursor"]) == {"published_at": "t", "id": "i"}
    gateway.community_feed(call("GET", token=False), community_id=community_id)
    gateway.community_feed(call("GET"), community_id=community_id)
    gateway.my_feed(call("GET", query={"limit": "5"}))
    gateway.moderation_queue(call("GET"), community_id=community_id)
    assert rpc_calls(gateway) == [
        ("publishing", "space_feed", None, str(space_id), 20, {"published_at": "s", "id": "h"}),
        ("publishing", "community_feed", None, str(community_id), 20, None),
        ("publishing", "community_feed", ALICE.as_dict(), str(community_id), 20, None),
        ("publishing", "my_feed", ALICE.as_dict(), 5, None),
        ("publishing", "moderation_queue", ALICE.as_dict(), str(community_id), 20, None),
    ]
    assert "cursor" in refused(gateway.my_feed, call("GET", query={"cursor": "not a cursor"}))
    assert "limit" in refused(gateway.space_feed, call("GET", query={"limit": "101"}), space_id=space_id)
