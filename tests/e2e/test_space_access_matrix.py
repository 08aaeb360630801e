"""The authorization matrix, through the real gateway: every built-in role, a non-member, a banned
user and an anonymous visitor, crossed with every visibility and every permission — and the same answer in the
space itself, in the list of spaces and in the community's count of spaces.

The expected table is written out by hand from docs/spaces.md (the interest preset's matrix and the
secured space's own grants), not computed by the code under test.
"""

import uuid

import pytest
import requests

from kernel.access.rules import PERMISSIONS
from services.identity.cli import create_admin
from tests.support.accounts import PASSWORD, bearer, log_in, register
from tests.support.spaces import spaces_stack

pytestmark = pytest.mark.e2e

ALL = set(PERMISSIONS)
ROWS = {  # the interest preset (docs/spaces.md)
    "owner": ALL,
    "manager": ALL,
    "moderator": {"read", "post", "comment", "co_edit", "moderate", "view_insights"},
    "expert": {"read", "post", "comment", "co_edit", "validate"},
    "member": {"read", "post", "comment"},
    "guest": {"read"},
}
SECURED_GRANTS = {
    "manager": ["read", "configure", "moderate"],
    "moderator": ["read", "moderate"],
    "expert": ["read", "validate"],
}
READ = {"read"}
HIDDEN = None  # the space does not exist for this subject: 404, absent from lists and counts

EXPECTED = {
    #            public        registered    members       secured
    "owner": (ALL, ALL, ALL, ALL),
    "manager": (ALL, ALL, ALL, {"read", "configure", "moderate"}),
    "moderator": (ROWS["moderator"], ROWS["moderator"], ROWS["moderator"], {"read", "moderate"}),
    "expert": (ROWS["expert"], ROWS["expert"], ROWS["expert"], {"read", "validate"}),
    "member": (ROWS["member"], ROWS["member"], ROWS["member"], HIDDEN),
    "guest": (READ, READ, READ, HIDDEN),
    "non-member": (READ, READ, HIDDEN, HIDDEN),
    "banned": (READ, HIDDEN, HIDDEN, HIDDEN),
    "anonymous": (READ, HIDDEN, HIDDEN, HIDDEN),
}
VISIBILITIES = ("public", "registered", "members", "secured")
SECTIONS = ("identity", "objectives", "topics", "rules", "access", "content", "roles", "modules")


def call(url, method, path, token=None, body=None):
    headers = bearer(token) if token else {}
    return requests.request(method, url + path, json=body, headers=headers, timeout=15)


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def world(database_url, amqp_uri, tmp_path_factory):
    """A live interest community (open policy) with one space of each visibility and a subject of
    each kind: ``(url, community_id, {visibility: space_id}, {subject: token or None})``."""
    with spaces_stack(database_url, amqp_uri, tmp_path_factory.mktemp("matrix")) as (url, settings):
        owner_email = f"owner-{uuid.uuid4().hex[:8]}@example.org"
        create_admin(settings.database_url, owner_email, PASSWORD)
        owner = log_in(url, owner_email).json()["access_token"]
        community = ok(
            call(
                url,
                "POST",
                "/v1/communities",
                owner,
                {"name": f"Matrix {uuid.uuid4().hex[:6]}", "kind": "interest", "charter": {"access_mode": "open"}},
            ),
            201,
        )
        cid = community["id"]
        preset_spaces = [s["id"] for s in ok(call(url, "GET", f"/v1/communities/{cid}/spaces", owner))["items"]]
        spaces = {}
        for visibility in VISIBILITIES:
            body = {"name": f"{visibility} room", "visibility": visibility}
            if visibility == "secured":
                body["matrix"] = SECURED_GRANTS
            spaces[visibility] = ok(call(url, "POST", f"/v1/communities/{cid}/spaces", owner, body), 201)["id"]
        ok(call(url, "POST", f"/v1/communities/{cid}/transitions", owner, {"to": "review"}))
        for section in SECTIONS:
            ok(call(url, "POST", f"/v1/communities/{cid}/validations", owner, {"section": section}))
        ok(call(url, "POST", f"/v1/communities/{cid}/transitions", owner, {"to": "pilot"}))
        ok(call(url, "POST", f"/v1/communities/{cid}/transitions", owner, {"to": "live", "note": "go"}))

        tokens = {"owner": owner, "anonymous": None}
        users = {}
        for subject in ("manager", "moderator", "expert", "member", "guest", "non-member", "banned"):
            email, created = register(url, name=subject)
            assert created.status_code == 201, created.text
            users[subject] = created.json()["id"]
            tokens[subject] = log_in(url, email).json()["access_token"]
            if subject == "non-member":
                continue
            joined = ok(call(url, "POST", f"/v1/communities/{cid}/join", tokens[subject], {}))
            assert joined["status"] == "member"
            if subject in ("manager", "moderator", "expert", "guest"):
                ok(call(url, "PUT", f"/v1/communities/{cid}/members/{users[subject]}", owner, {"role": subject}))
        ok(call(url, "POST", f"/v1/communities/{cid}/bans/{users['banned']}", owner, {"reason": "spam"}))
        yield url, cid, spaces, preset_spaces, tokens


@pytest.mark.parametrize("subject", list(EXPECTED))
def test_each_subject_sees_and_may_exactly_what_the_matrix_says(world, subject):
    url, cid, spaces, preset_spaces, tokens = world
    token = tokens[subject]
    for visibility, expected in zip(VISIBILITIES, EXPECTED[subject], strict=True):
        space_id = spaces[visibility]
        mine = call(url, "GET", f"/v1/spaces/{space_id}/permissions/me", token)
        space = call(url, "GET", f"/v1/spaces/{space_id}", token)
        if expected is HIDDEN:
            assert mine.status_code == 404, (subject, visibility, mine.text)
            assert space.status_code == 404, (subject, visibility, space.text)
            assert space.headers["Content-Type"] == "application/problem+json"
        else:
            assert set(ok(mine)["permissions"]) == expected, (subject, visibility)
            assert set(ok(space)["my_permissions"]) == expected, (subject, visibility)

    visible = {spaces[v] for v, e in zip(VISIBILITIES, EXPECTED[subject], strict=True) if e is not HIDDEN}
    listed = ok(call(url, "GET", f"/v1/communities/{cid}/spaces?limit=100", token))["items"]
    listed_ids = {s["id"] for s in listed}
    assert listed_ids - set(preset_spaces) == visible, subject  # the preset's own space is public
    assert ok(call(url, "GET", f"/v1/communities/{cid}", token))["spaces_count"] == len(listed_ids)


@pytest.mark.parametrize(
    ("subject", "may_list_members", "status"),
    [
        ("owner", True, 200),
        ("guest", True, 200),
        ("non-member", False, 403),
        ("banned", False, 403),
        ("anonymous", False, 401),
    ],
)
def test_the_members_list_is_for_members(world, subject, may_list_members, status):
    url, cid, _, _, tokens = world
    response = call(url, "GET", f"/v1/communities/{cid}/members", tokens[subject])
    assert response.status_code == status, response.text
    if may_list_members:
        assert len(response.json()["items"]) == 6  # owner, manager, moderator, expert, member, guest


@pytest.mark.parametrize("subject", list(EXPECTED))
def test_community_wide_permissions_are_the_roles_row(world, subject):
    url, cid, _, _, tokens = world
    community = ok(call(url, "GET", f"/v1/communities/{cid}", tokens[subject]))
    expected = ROWS.get(subject, set())
    assert set(community["my_permissions"]) == expected, subject
    assert community["my_role"] == (subject if subject in ROWS else None)
