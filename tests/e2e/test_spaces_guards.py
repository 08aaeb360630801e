"""Every operation of the communities, spaces and membership API, through the real gateway, against
a real live community: without a token it is a 401; a signed-in stranger gets no 2xx; a malformed
body is a 400 — and in each case nothing changed (the owner's view of the community, its spaces,
members, roles, join requests and change log is the same before and after).

The operations are read from the gateway's own route table, so a new operation without a case here
fails the completeness test.
"""

import pytest

from gateway.routing import operations
from gateway.service import GatewayService
from tests.support.spaces import call, launch, make_user, ok, problem, spaces_stack, wait_known

pytestmark = pytest.mark.e2e

TAGS = {"communities", "spaces", "membership"}
#: operations a signed-in stranger may use: joining, reading what is public, the list of modules
OPEN_TO_STRANGERS = {
    "join",
    "list_modules",
    "list_communities",
    "get_community",
    "list_spaces",
    "get_space",
    "my_space_permissions",
}


@pytest.fixture(scope="module")
def world(database_url, amqp_uri, tmp_path_factory):
    """A live interest community (open) with a member and a live practice community (co-optation)
    with a pending request; a stranger; an invitation meant for the member."""
    with spaces_stack(database_url, amqp_uri, tmp_path_factory.mktemp("guards")) as (url, settings):
        _, owner = make_user(url, "community_creator", settings, name="Owner")
        member_id, member = make_user(url, name="Member")
        _, stranger = make_user(url, name="Stranger")
        _, candidate = make_user(url, name="Candidate")
        open_one = ok(call(url, "POST", "/v1/communities", owner, {"name": "Guarded", "kind": "interest"}), 201)
        cid = open_one["id"]
        launch(url, owner, cid)
        ok(call(url, "POST", f"/v1/communities/{cid}/join", member, {}))
        practice = ok(
            call(url, "POST", "/v1/communities", owner, {"name": "Guarded practice", "kind": "practice"}), 201
        )
        launch(url, owner, practice["id"])
        request = ok(call(url, "POST", f"/v1/communities/{practice['id']}/join", candidate, {}))["request"]
        invitation = wait_known(
            lambda: call(
                url, "POST", f"/v1/communities/{cid}/invitations", owner, {"role": "member", "user_id": member_id}
            )
        )
        spaces = ok(call(url, "GET", f"/v1/communities/{cid}/spaces", owner))["items"]
        roles = ok(call(url, "GET", f"/v1/communities/{cid}/roles", owner))["roles"]
        values = {
            "community_id": cid,
            "user_id": member_id,
            "space_id": next(s["id"] for s in spaces if s["visibility"] == "public"),
            "other_space_id": next(s["id"] for s in spaces if s["visibility"] != "public"),
            "request_id": request["id"],
            "token": ok(invitation, 201)["token"],
            "matrix": {role["name"]: role["permissions"] for role in roles},
        }
        yield url, owner, stranger, practice["id"], values


def cases(values):
    """(operation id, method, path, a valid body) for each operation."""
    cid, space = values["community_id"], values["space_id"]
    c = f"/v1/communities/{cid}"
    return {
        "list_communities": ("GET", "/v1/communities", None),
        "create_community": ("POST", "/v1/communities", {"name": "Hijack", "kind": "interest"}),
        "get_community": ("GET", c, None),
        "update_community": ("PATCH", c, {"description": "hijacked"}),
        "ban": ("POST", f"{c}/bans/{values['user_id']}", {"reason": "because"}),
        "unban": ("DELETE", f"{c}/bans/{values['user_id']}", None),
        "list_changes": ("GET", f"{c}/changes", None),
        "list_feedback": ("GET", f"{c}/feedback", None),
        "give_feedback": ("POST", f"{c}/feedback", {"message": "hi"}),
        "create_invitation": ("POST", f"{c}/invitations", {"role": "member"}),
        "join": ("POST", f"{c}/join", {}),
        "list_join_requests": ("GET", f"{c}/join-requests", None),
        "list_members": ("GET", f"{c}/members", None),
        "set_member_role": ("PUT", f"{c}/members/{values['user_id']}", {"role": "moderator"}),
        "remove_member": ("DELETE", f"{c}/members/{values['user_id']}", None),
        "set_modules": ("PUT", f"{c}/modules", {"modules": ["news"]}),
        "set_pilot_group": ("PUT", f"{c}/pilot-group", {"user_ids": []}),
        "get_roles": ("GET", f"{c}/roles", None),
        "set_roles": ("PUT", f"{c}/roles", {"roles": {**values["matrix"], "member": ["read"]}}),
        "list_spaces": ("GET", f"{c}/spaces", None),
        "create_space": ("POST", f"{c}/spaces", {"name": "Hijack", "visibility": "public"}),
        "transition": ("POST", f"{c}/transitions", {"to": "archived"}),
        "validate_section": ("POST", f"{c}/validations", {"section": "rules"}),
        "accept_invitation": ("POST", f"/v1/invitations/{values['token']}/accept", None),
        "approve_request": ("POST", f"/v1/join-requests/{values['request_id']}/approve", None),
        "reject_request": ("POST", f"/v1/join-requests/{values['request_id']}/reject", {"reason": "no"}),
        "sponsor_request": ("POST", f"/v1/join-requests/{values['request_id']}/sponsor", None),
        "list_modules": ("GET", "/v1/modules", None),
        "get_space": ("GET", f"/v1/spaces/{space}", None),
        "update_space": ("PATCH", f"/v1/spaces/{space}", {"name": "Hijack"}),
        "archive_space": ("DELETE", f"/v1/spaces/{space}", None),
        "move_space": ("POST", f"/v1/spaces/{values['other_space_id']}/move", {"parent_id": space}),
        "set_space_permissions": ("PUT", f"/v1/spaces/{space}/permissions", {"inherit": True}),
        "set_space_validation": ("PUT", f"/v1/spaces/{space}/validation", {"inherit": True}),
        "my_space_permissions": ("GET", f"/v1/spaces/{space}/permissions/me", None),
        "list_space_members": ("GET", f"/v1/spaces/{space}/members", None),
        "set_space_member": ("PUT", f"/v1/spaces/{space}/members/{values['user_id']}", {"role": "moderator"}),
        "remove_space_member": ("DELETE", f"/v1/spaces/{space}/members/{values['user_id']}", None),
    }


def spaces_operations():
    return [op for op in operations(GatewayService) if set(op.tags) & TAGS]


def snapshot(url, owner, practice_id, cid):
    """What the owner sees of both communities: any change by a refused call shows here."""
    c, p = f"/v1/communities/{cid}", f"/v1/communities/{practice_id}"
    paths = [
        c,
        c + "/spaces?limit=100",
        c + "/members?limit=100",
        c + "/roles",
        c + "/changes?limit=100",
        c + "/join-requests",
        p + "/join-requests",
        p + "/members?limit=100",
        c + "/feedback",
    ]
    return [call(url, "GET", path, owner).json() for path in paths]


def test_every_operation_has_a_case(world):
    values = world[-1]
    assert {op.operation_id for op in spaces_operations()} == set(cases(values))


def test_without_a_token_nothing_but_public_reads_are_served(world):
    url, owner, _, practice_id, values = world
    before = snapshot(url, owner, practice_id, values["community_id"])
    for op in spaces_operations():
        method, path, body = cases(values)[op.operation_id]
        response = call(url, method, path, None, body)
        if op.auth is True:
            problem(response, 401)
        else:
            assert response.status_code == 200, (op.operation_id, response.text)
    assert snapshot(url, owner, practice_id, values["community_id"]) == before


def test_a_signed_in_stranger_changes_nothing(world):
    url, owner, stranger, practice_id, values = world
    before = snapshot(url, owner, practice_id, values["community_id"])
    for op in spaces_operations():
        if op.operation_id in OPEN_TO_STRANGERS:
            continue
        method, path, body = cases(values)[op.operation_id]
        response = call(url, method, path, stranger, body)
        assert response.status_code in (403, 404, 409), (op.operation_id, response.status_code, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
    assert snapshot(url, owner, practice_id, values["community_id"]) == before


def test_a_malformed_body_is_a_400_even_for_the_owner(world):
    url, owner, _, practice_id, values = world
    before = snapshot(url, owner, practice_id, values["community_id"])
    for op in spaces_operations():
        if op.body is None:
            continue
        method, path, _ = cases(values)[op.operation_id]
        body = problem(call(url, method, path, owner, {"no_such_field": 1}), 400)
        assert "no_such_field" in str(body.get("errors")), (op.operation_id, body)
    assert snapshot(url, owner, practice_id, values["community_id"]) == before


CHARTER_PARTS = (
    "objectives",
    "topics",
    "rules",
    "access_mode",
    "membership",
    "content_types",
    "validation",
    "default_knowledge_level",
)
JUNK = (None, 0, -1, 10**12, True, "", "x" * 5000, [], [None], {}, {"a": {"b": []}})


def test_no_body_crashes_an_operation(world):
    """Each declared field of each body, given values of every JSON type and odd sizes: always an
    answer below 500 (most are 400s; what happens to be valid may succeed). Runs last: it may change
    the world."""
    url, owner, _, _, values = world
    crashes = []
    for op in spaces_operations():
        if op.body is None:
            continue
        method, path, valid = cases(values)[op.operation_id]
        schema = op.body if isinstance(op.body, type) else type(op.body)
        for name, declared in schema._declared_fields.items():
            field_name = declared.data_key or name
            for junk in JUNK:
                response = call(url, method, path, owner, {**(valid or {}), field_name: junk})
                if response.status_code >= 500:
                    crashes.append((op.operation_id, field_name, junk, response.status_code))
        if "charter" in schema._declared_fields:  # and each part of the charter
            for part in CHARTER_PARTS:
                for junk in JUNK:
                    response = call(url, method, path, owner, {**(valid or {}), "charter": {part: junk}})
                    if response.status_code >= 500:
                        crashes.append((op.operation_id, f"charter.{part}", junk, response.status_code))
    assert crashes == []
