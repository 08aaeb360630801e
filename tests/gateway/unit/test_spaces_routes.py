"""The communities, spaces and membership routes: their OpenAPI description, and their own logic with
the spaces RPC mocked (nameko's worker_factory) — what each sends to the spaces service, what it
refuses before calling it, and how pages come back."""

import uuid

import pytest

from gateway.pagination import decode_cursor, encode_cursor
from kernel import errors
from kernel.access.rules import PERMISSIONS, STATES, VISIBILITIES
from kernel.auth import Actor
from kernel.events.catalog.spaces import ACCESS_MODES, KINDS, POLICIES
from kernel.web import PROBLEM_CONTENT_TYPE
from tests.gateway.unit.handlers import answered, gateway_as, refused, request, valid_document

C = "/v1/communities/{community_id}"
S = "/v1/spaces/{space_id}"
M = C + "/members/{user_id}"
B = C + "/bans/{user_id}"
R = "/v1/join-requests/{request_id}"
PAGE = {"limit", "cursor"}

#: (method, path) -> (operationId, auth, success status, request body component, query parameters, problems)
#: auth: True (a token is needed), "optional" (anonymous visitors too), False (nobody is asked)
OPERATIONS = {
    ("post", "/v1/communities"): ("create_community", True, 201, "NewCommunity", set(), {403, 409}),
    ("get", "/v1/communities"): ("list_communities", "optional", 200, None, PAGE | {"kind", "member"}, set()),
    ("get", C): ("get_community", "optional", 200, None, set(), {404}),
    ("patch", C): ("update_community", True, 200, "CommunityChanges", set(), {403, 404, 409}),
    ("get", C + "/changes"): ("list_changes", True, 200, None, PAGE, {403, 404}),
    ("post", C + "/validations"): ("validate_section", True, 200, "Section", set(), {403, 404, 409}),
    ("post", C + "/transitions"): ("transition", True, 200, "Transition", set(), {403, 404, 409}),
    ("put", C + "/pilot-group"): ("set_pilot_group", True, 200, "PilotGroup", set(), {403, 404, 409, 422}),
    ("post", C + "/feedback"): ("give_feedback", True, 201, "FeedbackInput", set(), {403, 404, 409}),
    ("get", C + "/feedback"): ("list_feedback", True, 200, None, PAGE, {403, 404}),
    ("get", C + "/roles"): ("get_roles", True, 200, None, set(), {403, 404}),
    ("put", C + "/roles"): ("set_roles", True, 200, "RolesInput", set(), {403, 404, 409}),
    ("get", "/v1/modules"): ("list_modules", True, 200, None, set(), set()),
    ("put", C + "/modules"): ("set_modules", True, 200, "ModulesInput", set(), {403, 404, 409}),
    ("post", C + "/spaces"): ("create_space", True, 201, "NewSpace", set(), {403, 404, 409}),
    ("get", C + "/spaces"): ("list_spaces", "optional", 200, None, PAGE, {404}),
    ("get", S): ("get_space", "optional", 200, None, set(), {404}),
    ("patch", S): ("update_space", True, 200, "SpaceChanges", set(), {403, 404, 409}),
    ("delete", S): ("archive_space", True, 204, None, set(), {403, 404, 409}),
    ("post", S + "/move"): ("move_space", True, 200, "Move", set(), {403, 404, 409}),
    ("put", S + "/permissions"): ("set_space_permissions", True, 200, "SpacePermissions", set(), {403, 404, 409}),
    ("put", S + "/validation"): ("set_space_validation", True, 200, "SpaceValidation", set(), {403, 404, 409}),
    ("get", S + "/permissions/me"): ("my_space_permissions", "optional", 200, None, set(), {404}),
    ("get", S + "/members"): ("list_space_members", True, 200, None, PAGE, {403, 404}),
    ("put", S + "/members/{user_id}"): ("set_space_member", True, 200, "SpaceRole", set(), {403, 404, 409, 422}),
    ("delete", S + "/members/{user_id}"): ("remove_space_member", True, 204, None, set(), {403, 404, 409}),
    ("post", C + "/join"): ("join", True, 200, "Application", set(), {403, 404, 409, 422}),
    ("get", C + "/join-requests"): ("list_join_requests", True, 200, None, PAGE | {"status"}, {403, 404}),
    ("post", R + "/sponsor"): ("sponsor_request", True, 200, None, set(), {403, 404, 409}),
    ("post", R + "/approve"): ("approve_request", True, 200, None, set(), {403, 404, 409}),
    ("post", R + "/reject"): ("reject_request", True, 200, "Rejection", set(), {403, 404, 409}),
    ("post", C + "/invitations"): ("create_invitation", True, 201, "NewInvitation", set(), {403, 404, 409, 422}),
    ("post", "/v1/invitations/{token}/accept"): ("accept_invitation", True, 200, None, set(), {403, 404, 409}),
    ("get", C + "/members"): ("list_members", True, 200, None, PAGE | {"role"}, {403, 404}),
    ("put", M): ("set_member_role", True, 200, "MemberRole", set(), {403, 404, 409, 422}),
    ("delete", M): ("remove_member", True, 204, None, set(), {403, 404, 409}),
    ("post", B): ("ban", True, 200, "Ban", set(), {403, 404, 409}),
    ("delete", B): ("unban", True, 204, None, set(), {403, 404}),
}
UUID_PARAMETERS = {"community_id", "space_id", "user_id", "request_id"}


@pytest.fixture
def gateway():
    return gateway_as(ALICE)


@pytest.fixture(scope="module")
def document():
    return valid_document()


def call(method, path, body=None, query=None, token=True):
    return request(method, body, query, token, path=path)


def schema_of(document, reference):
    return document["components"]["schemas"][reference["$ref"].rsplit("/", 1)[1]]


# -- the document ----------------------------------------------------------------------------------


def test_the_gateway_document_with_the_spaces_routes_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if set(operation["tags"]) & {"communities", "spaces", "membership"}  # not the contents under these paths
    }
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS))
def test_each_operation_is_documented_with_its_inputs_and_answers(document, method, path):
    operation_id, auth, status, body, query, problems = OPERATIONS[(method, path)]
    operation = document["paths"][path][method]
    assert operation["operationId"] == operation_id
    assert operation["summary"]
    assert len(operation["description"]) > 40, "the docstring says who may call it and what happens"

    parameters = [p for p in operation["parameters"] if "in" in p]
    path_names = {p["name"] for p in parameters if p["in"] == "path"}
    assert path_names == {part[1:-1] for part in path.split("/") if part.startswith("{")}
    for parameter in parameters:
        if parameter["in"] == "path" and parameter["name"] in UUID_PARAMETERS:
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
        response_schema = success["content"]["application/json"]["schema"]
        assert schema_of(document, response_schema)["properties"]

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
    elif auth:
        assert operation["security"] == [{"bearerAuth": []}]
    else:
        assert "security" not in operation


def test_the_vocabularies_are_the_kernel_s(document):
    schemas = document["components"]["schemas"]
    assert schemas["NewCommunity"]["properties"]["kind"]["enum"] == list(KINDS)
    assert schemas["CharterInput"]["properties"]["access_mode"]["enum"] == list(ACCESS_MODES)
    assert schemas["MembershipRulesInput"]["properties"]["policy"]["enum"] == list(POLICIES)
    assert schemas["Transition"]["properties"]["to"]["enum"] == list(STATES)
    assert schemas["NewSpace"]["properties"]["visibility"]["enum"] == list(VISIBILITIES)
    matrix = schemas["NewCommunity"]["properties"]["matrix"]
    assert matrix["additionalProperties"]["items"]["enum"] == list(PERMISSIONS)
    assert (matrix["maxProperties"], "maxLength" in matrix) == (50, False)  # an object's size is maxProperties
    for nested in ("CharterInput", "MembershipRulesInput", "CriteriaInput", "ContentValidationInput"):
        assert schemas[nested]["additionalProperties"] is False, nested


def test_the_responses_describe_their_fields(document):
    schemas = document["components"]["schemas"]
    assert {"id", "slug", "name", "kind", "state", "charter", "spaces_count", "created_at"} <= set(
        schemas["Community"]["properties"]
    )
    assert {"id", "community_id", "parent_id", "visibility", "matrix", "my_permissions"} <= set(
        schemas["Space"]["properties"]
    )
    assert {"space_id", "community_id", "role", "permissions"} <= set(schemas["MyPermissions"]["properties"])
    assert {"id", "status", "policy", "sponsors_required"} <= set(schemas["JoinRequest"]["properties"])
    assert "token" in schemas["Invitation"]["required"]
    assert schemas["CommunityPage"]["required"] == ["items", "next_cursor"]
    for name in ("Community", "Space", "JoinRequest", "Invitation", "Charter"):
        assert "additionalProperties" not in schemas[name], name  # responses may grow


# -- the handlers, with the spaces RPC mocked -----------------------------------------------------

ALICE = Actor(user_id=str(uuid.uuid4()), platform_role="community_creator")


def test_create_community_sends_the_caller_and_the_loaded_body(gateway):
    gateway.services.call.return_value = {"id": "c1", "slug": "gis", "name": "GIS", "kind": "practice"}
    body = {"name": "GIS", "kind": "practice", "charter": {"access_mode": "mixed"}}
    status, created = answered(gateway.create_community(call("POST", "/v1/communities", body)))
    assert (status, created["slug"]) == (201, "gis")
    gateway.services.call.assert_called_once_with("spaces", "create_community", ALICE.as_dict(), body)


@pytest.mark.parametrize(
    ("body", "field_path"),
    [
        ({"name": "X", "kind": "club"}, ["kind"]),
        (
            {"name": "X", "kind": "practice", "charter": {"membership": {"policy": "lottery"}}},
            ["charter", "membership", "policy"],
        ),
        ({"name": "X", "kind": "practice", "charter": {"access_mode": "secret"}}, ["charter", "access_mode"]),
        ({"name": "X", "kind": "practice", "matrix": {"member": ["fly"]}}, ["matrix"]),
        ({"name": "X", "kind": "practice", "matrix": {"Not A Role": ["read"]}}, ["matrix"]),
        ({"name": "X", "kind": "practice", "colour": "blue"}, ["colour"]),
        ({"name": "X", "kind": "practice", "charter": {"objectives": {"x": "y"}}}, ["charter", "objectives", "x"]),
        ({"kind": "practice"}, ["name"]),
    ],
)
def test_a_bad_community_is_a_400_naming_the_field(gateway, body, field_path):
    messages = refused(gateway.create_community, call("POST", "/v1/communities", body))
    for key in field_path:
        messages = messages[key]
    assert messages
    assert not gateway.services.call.called


def test_an_empty_change_is_a_400(gateway):
    community_id = uuid.uuid4()
    assert "_schema" in refused(gateway.update_community, call("PATCH", "/", {}), community_id=community_id)
    gateway.update_community(call("PATCH", "/", {"charter": {"rules": "Be kind."}}), community_id=community_id)
    gateway.services.call.assert_called_once_with(
        "spaces", "update_community", ALICE.as_dict(), str(community_id), {"charter": {"rules": "Be kind."}}
    )


def test_an_anonymous_visitor_lists_communities_and_gets_the_next_cursor(gateway):
    gateway.services.call.return_value = {"items": [{"id": "c1"}], "next": {"created_at": "t", "id": "c1"}}
    cursor = encode_cursor({"created_at": "s", "id": "c0"})
    status, page = answered(
        gateway.list_communities(call("GET", "/", query={"cursor": cursor, "kind": "interest"}, token=False))
    )
    assert status == 200
    assert page["items"] == [{"id": "c1"}]
    assert decode_cursor(page["next_cursor"]) == {"created_at": "t", "id": "c1"}
    gateway.services.call.assert_called_once_with(
        "spaces", "list_communities", None, 20, {"created_at": "s", "id": "c0"}, kind="interest", member_only=False
    )


def test_member_only_needs_a_signed_in_caller(gateway):
    with pytest.raises(errors.Unauthenticated):
        gateway.list_communities(call("GET", "/", query={"member": "true"}, token=False))
    assert not gateway.services.call.called
    gateway.services.call.return_value = {"items": [], "next": None}
    _, page = answered(gateway.list_communities(call("GET", "/", query={"member": "true", "limit": "5"})))
    assert page == {"items": [], "next_cursor": None}
    gateway.services.call.assert_called_once_with(
        "spaces", "list_communities", ALICE.as_dict(), 5, None, kind=None, member_only=True
    )


def test_a_bad_filter_is_a_400(gateway):
    assert "kind" in refused(gateway.list_communities, call("GET", "/", query={"kind": "club"}, token=False))
    bad_status = call("GET", "/", query={"status": "lost"})
    assert "status" in refused(gateway.list_join_requests, bad_status, community_id=uuid.uuid4())


def test_anonymous_reads_of_spaces_send_no_actor(gateway):
    space_id = uuid.uuid4()
    gateway.get_space(call("GET", "/", token=False), space_id=space_id)
    gateway.my_space_permissions(call("GET", "/", token=False), space_id=space_id)
    gateway.get_community(call("GET", "/", token=False), community_id=space_id)
    assert [c.args for c in gateway.services.call.call_args_list] == [
        ("spaces", "get_space", None, str(space_id)),
        ("spaces", "my_permissions", None, str(space_id)),
        ("spaces", "get_community", None, str(space_id)),
    ]


def test_an_anonymous_caller_cannot_write(gateway):
    with pytest.raises(errors.Unauthenticated):
        gateway.create_community(call("POST", "/", {"name": "X", "kind": "interest"}, token=False))
    assert not gateway.services.call.called


def test_review_and_lifecycle_inputs(gateway):
    community_id = uuid.uuid4()
    assert "section" in refused(
        gateway.validate_section, call("POST", "/", {"section": "x"}), community_id=community_id
    )
    assert "to" in refused(gateway.transition, call("POST", "/", {"to": "launched"}), community_id=community_id)
    gateway.transition(call("POST", "/", {"to": "review"}), community_id=community_id)
    gateway.transition(call("POST", "/", {"to": "pilot", "note": "ready"}), community_id=community_id)
    assert [c.args[4:] for c in gateway.services.call.call_args_list] == [("review", None), ("pilot", "ready")]


def test_the_pilot_group_sends_user_ids_as_text(gateway):
    community_id, tester = uuid.uuid4(), uuid.uuid4()
    assert "user_ids" in refused(
        gateway.set_pilot_group, call("PUT", "/", {"user_ids": ["nope"]}), community_id=community_id
    )
    gateway.services.call.return_value = {"user_ids": [str(tester)]}
    status, group = answered(
        gateway.set_pilot_group(call("PUT", "/", {"user_ids": [str(tester).upper()]}), community_id=community_id)
    )
    assert (status, group) == (200, {"user_ids": [str(tester)]})
    gateway.services.call.assert_called_once_with(
        "spaces", "set_pilot_group", ALICE.as_dict(), str(community_id), [str(tester)]
    )


def test_feedback_rating_is_1_to_5(gateway):
    community_id = uuid.uuid4()
    assert "rating" in refused(
        gateway.give_feedback, call("POST", "/", {"message": "ok", "rating": 6}), community_id=community_id
    )
    gateway.give_feedback(call("POST", "/", {"message": "ok"}), community_id=community_id)
    gateway.services.call.assert_called_once_with(
        "spaces", "give_feedback", ALICE.as_dict(), str(community_id), "ok", None
    )


def test_modules_are_listed_in_an_envelope_and_set_community_wide_or_per_space(gateway):
    gateway.services.call.return_value = [{"name": "forum", "title": "Forum"}]
    assert answered(gateway.list_modules(call("GET", "/"))) == (
        200,
        {"items": [{"name": "forum", "title": "Forum"}]},
    )
    community_id, space_id = str(uuid.uuid4()), str(uuid.uuid4())
    gateway.services.call.return_value = {"id": community_id, "kind": "practice", "modules": ["qa"]}
    whole = gateway.set_modules(call("PUT", "/", {"modules": ["qa"]}), community_id=uuid.UUID(community_id))
    assert answered(whole) == (200, {"community_id": community_id, "space_id": None, "modules": ["qa"]})
    gateway.services.call.return_value = {"id": space_id, "community_id": community_id, "modules": ["qa", "forum"]}
    one = gateway.set_modules(
        call("PUT", "/", {"modules": None, "space_id": space_id}), community_id=uuid.UUID(community_id)
    )
    assert answered(one) == (200, {"community_id": community_id, "space_id": space_id, "modules": ["qa", "forum"]})
    assert [c.args[4:] for c in gateway.services.call.call_args_list[1:]] == [(["qa"], None), (None, space_id)]
    bad = call("PUT", "/", {"modules": ["Not a module"]})
    assert "modules" in refused(gateway.set_modules, bad, community_id=uuid.UUID(community_id))


def test_space_inputs(gateway):
    community_id, space_id, parent_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert "visibility" in refused(
        gateway.create_space, call("POST", "/", {"name": "A", "visibility": "hidden"}), community_id=community_id
    )
    gateway.create_space(
        call("POST", "/", {"name": "A", "visibility": "members", "parent_id": str(parent_id)}),
        community_id=community_id,
    )
    assert gateway.services.call.call_args.args[-1] == {
        "name": "A",
        "visibility": "members",
        "parent_id": str(parent_id),
    }
    assert "parent_id" in refused(gateway.move_space, call("POST", "/", {}), space_id=space_id)
    gateway.move_space(call("POST", "/", {"parent_id": None}), space_id=space_id)
    assert gateway.services.call.call_args.args == ("spaces", "move_space", ALICE.as_dict(), str(space_id), None)


def test_a_space_override_needs_a_matrix_and_inheriting_takes_none(gateway):
    space_id = uuid.uuid4()
    assert "matrix" in refused(gateway.set_space_permissions, call("PUT", "/", {"inherit": False}), space_id=space_id)
    inherit_with_matrix = call("PUT", "/", {"inherit": True, "matrix": {"member": ["read"]}})
    assert "matrix" in refused(gateway.set_space_permissions, inherit_with_matrix, space_id=space_id)
    gateway.set_space_permissions(
        call("PUT", "/", {"inherit": False, "matrix": {"member": ["read"]}}), space_id=space_id
    )
    gateway.set_space_permissions(call("PUT", "/", {"inherit": True}), space_id=space_id)
    assert [c.args[3:] for c in gateway.services.call.call_args_list] == [
        (str(space_id), False, {"member": ["read"]}),
        (str(space_id), True, None),
    ]


def test_archiving_and_removing_answer_204_and_a_ban_its_record(gateway):
    community_id, space_id, user_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert gateway.archive_space(call("DELETE", "/"), space_id=space_id).status_code == 204
    assert gateway.remove_member(call("DELETE", "/"), community_id=community_id, user_id=user_id).status_code == 204
    gateway.services.call.return_value = {"user_id": str(user_id), "reason": "spam", "internal": "x"}
    banned = gateway.ban(call("POST", "/", {"reason": "spam"}), community_id=community_id, user_id=user_id)
    assert answered(banned) == (200, {"user_id": str(user_id), "reason": "spam"})
    assert "reason" in refused(gateway.ban, call("POST", "/", {}), community_id=community_id, user_id=user_id)
    assert [c.args[1] for c in gateway.services.call.call_args_list] == ["archive_space", "remove_member", "ban"]


def test_admission_calls(gateway):
    community_id, request_id = uuid.uuid4(), uuid.uuid4()
    gateway.join(call("POST", "/", {"message": "Hello"}), community_id=community_id)
    gateway.sponsor_request(call("POST", "/"), request_id=request_id)
    gateway.reject_request(call("POST", "/", {"reason": "Off topic"}), request_id=request_id)
    gateway.services.call.return_value = {"items": [], "next": None}
    gateway.list_join_requests(call("GET", "/"), community_id=community_id)
    gateway.list_members(call("GET", "/", query={"role": "expert"}), community_id=community_id)
    calls = gateway.services.call.call_args_list
    assert calls[0].args == ("spaces", "join", ALICE.as_dict(), str(community_id), {"message": "Hello"})
    assert calls[1].args == ("spaces", "sponsor_request", ALICE.as_dict(), str(request_id))
    assert calls[2].args == ("spaces", "reject_request", ALICE.as_dict(), str(request_id), "Off topic")
    assert calls[3].args == ("spaces", "list_join_requests", ALICE.as_dict(), str(community_id), "pending", 20, None)
    assert (calls[4].args, calls[4].kwargs) == (
        ("spaces", "list_members", ALICE.as_dict(), str(community_id), 20, None),
        {"role": "expert"},
    )
    assert "answers" in refused(gateway.join, call("POST", "/", {"answers": ["x"]}), community_id=community_id)


def test_invitations(gateway):
    community_id = uuid.uuid4()
    bad = call("POST", "/", {"role": "member", "expires_in_hours": 0, "email": "nope"})
    assert {"expires_in_hours", "email"} <= set(refused(gateway.create_invitation, bad, community_id=community_id))
    gateway.services.call.return_value = {
        "id": "i",
        "community_id": "c",
        "role": "member",
        "token": "t",
        "expires_at": "x",
    }
    status, invitation = answered(
        gateway.create_invitation(call("POST", "/", {"role": "member"}), community_id=community_id)
    )
    assert (status, invitation["token"]) == (201, "t")
    gateway.accept_invitation(call("POST", "/"), token="t")
    assert gateway.services.call.call_args.args == ("spaces", "accept_invitation", ALICE.as_dict(), "t")
