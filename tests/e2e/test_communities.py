"""Communities through the gateway, against the real identity and spaces processes: the issue's
acceptance walk (define, review, pilot, launch, co-optation, public and secured spaces, inherited and
overridden permissions), bad input, and who may not."""

import uuid

import pytest

from kernel.testing.waiting import eventually
from tests.support.accounts import PASSWORD
from tests.support.spaces import (
    SECTIONS,
    call,
    launch,
    make_user,
    ok,
    problem,
    spaces_stack,
    wait_known,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with spaces_stack(database_url, amqp_uri, tmp_path_factory.mktemp("communities")) as stack:
        yield stack


@pytest.fixture(scope="module")
def url(platform):
    return platform[0]


@pytest.fixture(scope="module")
def creator(platform):
    """A community creator: ``(user_id, access_token)``."""
    url, settings = platform
    return make_user(url, "community_creator", settings, name="Creator")


def new_community(url, token, kind="practice", **fields):
    body = {"name": f"Community {uuid.uuid4().hex[:8]}", "kind": kind, **fields}
    return ok(call(url, "POST", "/v1/communities", token, body), 201)


def spaces_of(url, community_id, token=None):
    return ok(call(url, "GET", f"/v1/communities/{community_id}/spaces", token))["items"]


def my_permissions(url, space_id, token):
    return set(ok(call(url, "GET", f"/v1/spaces/{space_id}/permissions/me", token))["permissions"])


# -- the acceptance walk ---------------------------------------------------------------------------


def test_a_mixed_community_of_practice_from_definition_to_co_optation(url, creator):
    _, owner = creator

    # a community creator defines a mixed community of practice: it starts in draft, owned by them
    community = new_community(url, owner, charter={"access_mode": "mixed"})
    cid, path = community["id"], f"/v1/communities/{community['id']}"
    assert (community["kind"], community["state"], community["my_role"]) == ("practice", "draft", "owner")
    assert community["charter"]["access_mode"] == "mixed"
    assert community["charter"]["membership"]["policy"] == "cooptation"
    assert community["charter"]["membership"]["sponsors_required"] == 2
    by_name = {space["name"]: space for space in spaces_of(url, cid, owner)}
    public, secured = by_name["Public"], by_name["Members"]
    assert (public["visibility"], secured["visibility"]) == ("public", "secured")

    # the owner submits the model for review and validates it section by section
    assert ok(call(url, "POST", path + "/transitions", owner, {"to": "review"}))["state"] == "review"
    for section in SECTIONS[:-2]:
        ok(call(url, "POST", path + "/validations", owner, {"section": section}))
    premature = problem(call(url, "POST", path + "/transitions", owner, {"to": "pilot"}), 409, "sections-not-validated")
    assert premature["missing"] == ["roles", "modules"]
    for section in SECTIONS[-2:]:
        review = ok(call(url, "POST", path + "/validations", owner, {"section": section}))
    assert review["complete"] is True
    assert all(item["validated"] for item in review["sections"])

    # two testers, named as soon as spaces knows them, make the pilot group
    testers = [make_user(url, name=f"Tester {n}") for n in (1, 2)]
    tester_ids = sorted(user_id for user_id, _ in testers)
    group = wait_known(lambda: call(url, "PUT", path + "/pilot-group", owner, {"user_ids": tester_ids}))
    assert sorted(ok(group)["user_ids"]) == tester_ids
    assert ok(call(url, "POST", path + "/transitions", owner, {"to": "pilot"}))["state"] == "pilot"

    # the testers give feedback; the owner reads it, then launches the community
    for rating, (_, token) in zip((4, 5), testers, strict=True):
        feedback = ok(call(url, "POST", path + "/feedback", token, {"message": "Clear rules.", "rating": rating}), 201)
        assert feedback["rating"] == rating
    given = ok(call(url, "GET", path + "/feedback", owner))["items"]
    assert sorted(item["rating"] for item in given) == [4, 5]
    live = ok(call(url, "POST", path + "/transitions", owner, {"to": "live", "note": "Go"}))
    assert live["state"] == "live"
    log = ok(call(url, "GET", path + "/changes", owner, params={"limit": 100}))["items"]
    assert [c["after"] for c in log if c["section"] == "lifecycle"] == ["review", "pilot", "live"]

    # a candidate asks to join: co-optation files a request that two members must sponsor
    candidate_id, candidate = make_user(url, name="Candidate")
    joined = ok(call(url, "POST", path + "/join", candidate, {"message": "I map rivers."}))
    assert joined["status"] == "pending"
    request = joined["request"]
    assert (request["policy"], request["sponsors_required"], request["sponsors"]) == ("cooptation", 2, [])
    sponsor = f"/v1/join-requests/{request['id']}/sponsor"
    (first_id, first), (second_id, second) = testers
    once = ok(call(url, "POST", sponsor, first))
    assert (once["status"], once["sponsors"]) == ("pending", [first_id])
    twice = ok(call(url, "POST", sponsor, first))  # sponsoring twice counts once
    assert (twice["status"], twice["sponsors"]) == ("pending", [first_id])
    admitted = ok(call(url, "POST", sponsor, second))
    assert admitted["status"] == "approved"
    assert sorted(admitted["sponsors"]) == sorted([first_id, second_id])
    assert ok(call(url, "GET", path, candidate))["my_role"] == "member"
    members = ok(call(url, "GET", path + "/members", owner, params={"role": "member", "limit": 100}))["items"]
    assert candidate_id in {m["user_id"] for m in members}

    # a signed-in non-member and an anonymous visitor see the public space, not the secured one
    _, outsider = make_user(url, name="Outsider")
    for who in (outsider, None):
        assert ok(call(url, "GET", f"/v1/spaces/{public['id']}", who))["id"] == public["id"]
        problem(call(url, "GET", f"/v1/spaces/{secured['id']}", who), 404)
        assert [space["id"] for space in spaces_of(url, cid, who)] == [public["id"]]
        assert ok(call(url, "GET", path, who))["spaces_count"] == 1
    assert ok(call(url, "GET", path, owner))["spaces_count"] == 2
    assert ok(call(url, "GET", f"/v1/spaces/{secured['id']}", candidate))["id"] == secured["id"]

    # a sub-space of the secured space inherits its permissions, until it overrides them
    child = ok(
        call(
            url,
            "POST",
            path + "/spaces",
            owner,
            {"name": "Field notes", "visibility": "members", "parent_id": secured["id"]},
        ),
        201,
    )
    assert (child["parent_id"], child["inherits_permissions"]) == (secured["id"], True)
    inherited = my_permissions(url, secured["id"], candidate)
    assert {"read", "post", "comment"} <= inherited
    assert my_permissions(url, child["id"], candidate) == inherited
    overridden = ok(
        call(
            url,
            "PUT",
            f"/v1/spaces/{child['id']}/permissions",
            owner,
            {"inherit": False, "matrix": {"member": ["read"]}},
        )
    )
    assert (overridden["inherits_permissions"], overridden["matrix"]["member"]) == (False, ["read"])
    assert my_permissions(url, child["id"], candidate) == {"read"}
    assert my_permissions(url, secured["id"], candidate) == inherited  # the parent is unchanged
    problem(call(url, "GET", f"/v1/spaces/{child['id']}", outsider), 404)
    assert my_permissions(url, child["id"], owner) >= {"configure", "read", "post"}
    again = ok(call(url, "PUT", f"/v1/spaces/{child['id']}/permissions", owner, {"inherit": True}))
    assert again["inherits_permissions"] is True
    assert my_permissions(url, child["id"], candidate) == inherited


# -- bad input -------------------------------------------------------------------------------------


def test_bad_input_is_a_400_naming_the_field(url, creator):
    _, owner = creator
    unknown_kind = problem(call(url, "POST", "/v1/communities", owner, {"name": "Club", "kind": "club"}), 400)
    assert "kind" in unknown_kind["errors"]
    lottery = {"name": "Lottery", "kind": "practice", "charter": {"membership": {"policy": "lottery"}}}
    unknown_policy = problem(call(url, "POST", "/v1/communities", owner, lottery), 400)
    assert "policy" in unknown_policy["errors"]["charter"]["membership"]
    unknown_field = problem(
        call(url, "POST", "/v1/communities", owner, {"name": "X", "kind": "interest", "size": 3}), 400
    )
    assert "size" in unknown_field["errors"]
    bad_permission = {"name": "X", "kind": "interest", "matrix": {"member": ["fly"]}}
    assert "matrix" in problem(call(url, "POST", "/v1/communities", owner, bad_permission), 400)["errors"]

    community = new_community(url, owner, kind="interest")
    path = f"/v1/communities/{community['id']}"
    problem(call(url, "PATCH", path, owner, {}), 400)
    problem(call(url, "PATCH", path, owner, {"kind": "project"}), 400)  # the kind never changes
    problem(call(url, "POST", path + "/validations", owner, {"section": "colours"}), 400)
    problem(call(url, "POST", path + "/validations", owner, {"section": "rules"}), 409, "not-in-review")
    problem(call(url, "GET", "/v1/communities", None, params={"kind": "club"}), 400)
    problem(call(url, "GET", "/v1/communities", None, params={"cursor": "not a cursor"}), 400)


def test_a_transition_that_is_not_allowed_says_where_the_caller_may_go(url, creator):
    _, owner = creator
    community = new_community(url, owner, kind="interest")
    refused = problem(
        call(url, "POST", f"/v1/communities/{community['id']}/transitions", owner, {"to": "live"}),
        409,
        "transition-not-allowed",
    )
    assert (refused["state"], refused["allowed"]) == ("draft", ["review"])


def test_moving_a_space_under_its_own_descendant_is_a_409(url, creator):
    _, owner = creator
    community = new_community(url, owner, kind="interest")
    spaces = f"/v1/communities/{community['id']}/spaces"
    parent = ok(call(url, "POST", spaces, owner, {"name": "Regions", "visibility": "members"}), 201)
    child = ok(
        call(url, "POST", spaces, owner, {"name": "North", "visibility": "members", "parent_id": parent["id"]}), 201
    )
    grandchild = ok(
        call(url, "POST", spaces, owner, {"name": "Coast", "visibility": "members", "parent_id": child["id"]}), 201
    )
    for new_parent in (grandchild["id"], parent["id"]):
        problem(
            call(url, "POST", f"/v1/spaces/{parent['id']}/move", owner, {"parent_id": new_parent}), 409, "space-cycle"
        )
    moved = ok(call(url, "POST", f"/v1/spaces/{grandchild['id']}/move", owner, {"parent_id": None}))
    assert moved["parent_id"] is None
    problem(call(url, "PUT", f"/v1/spaces/{child['id']}/permissions", owner, {"inherit": False}), 400)


# -- who may not -----------------------------------------------------------------------------------


def test_a_plain_member_cannot_configure_and_anonymous_visitors_cannot_write(url, creator):
    owner_id, owner = creator
    community = new_community(url, owner, kind="interest")  # open policy, mixed: a public and a secured space
    cid, path = community["id"], f"/v1/communities/{community['id']}"
    launch(url, owner, cid)
    member_id, member = make_user(url, name="Member")
    assert ok(call(url, "POST", path + "/join", member, {}))["status"] == "member"
    assert ok(call(url, "GET", path, member))["my_role"] == "member"

    problem(call(url, "PATCH", path, member, {"description": "Mine now"}), 403, "missing-permission")
    problem(call(url, "POST", path + "/spaces", member, {"name": "Mine", "visibility": "public"}), 403)
    problem(call(url, "PUT", path + "/roles", member, {"roles": {"member": ["configure"]}}), 403)
    problem(call(url, "POST", path + "/transitions", member, {"to": "archived"}), 403)
    public = next(space for space in spaces_of(url, cid, member) if space["visibility"] == "public")
    problem(call(url, "PATCH", f"/v1/spaces/{public['id']}", member, {"name": "Mine"}), 403)
    problem(call(url, "POST", "/v1/communities", member, {"name": "Mine", "kind": "interest"}), 403)

    for method, target, body in (
        ("POST", "/v1/communities", {"name": "Anon", "kind": "interest"}),
        ("POST", path + "/join", {}),
        ("POST", path + "/spaces", {"name": "Anon", "visibility": "public"}),
        ("PATCH", f"/v1/spaces/{public['id']}", {"name": "Anon"}),
        ("GET", path + "/members", None),
    ):
        problem(call(url, method, target, None, body), 401)
    problem(call(url, "GET", path, "not-a-token"), 401)  # a token sent must be valid, even where none is needed
    assert ok(call(url, "GET", path))["id"] == cid  # no token: an anonymous visitor

    # the member leaves; the owner cannot
    assert call(url, "DELETE", f"{path}/members/{member_id}", member).status_code == 204
    problem(call(url, "DELETE", f"{path}/members/{owner_id}", owner), 409)
    assert ok(call(url, "GET", path, member))["my_role"] is None


def test_a_community_before_live_does_not_exist_for_outsiders(url, creator):
    _, owner = creator
    community = new_community(url, owner, kind="interest")
    path = f"/v1/communities/{community['id']}"
    _, outsider = make_user(url, name="Outsider")
    for who in (outsider, None):
        problem(call(url, "GET", path, who), 404)
        problem(call(url, "GET", path + "/spaces", who), 404)
        listed = ok(call(url, "GET", "/v1/communities", who, params={"limit": 100}))["items"]
        assert community["id"] not in {c["id"] for c in listed}
    problem(call(url, "POST", path + "/join", outsider, {}), 404)
    problem(call(url, "PATCH", path, outsider, {"description": "x"}), 404)
    for space in spaces_of(url, community["id"], owner):
        problem(call(url, "GET", f"/v1/spaces/{space['id']}", outsider), 404)
    mine = ok(call(url, "GET", "/v1/communities", owner, params={"member": "true", "limit": 100}))["items"]
    assert community["id"] in {c["id"] for c in mine}
    problem(call(url, "GET", "/v1/communities", None, params={"member": "true"}), 401)
    problem(call(url, "GET", f"/v1/communities/{uuid.uuid4()}", owner), 404)


def test_the_served_document_describes_the_communities_api(url, creator):
    paths = ok(call(url, "GET", "/openapi.json"))["paths"]
    assert {"post", "get"} <= set(paths["/v1/communities"])
    assert "put" in paths["/v1/spaces/{space_id}/permissions"]
    problem(call(url, "GET", "/v1/modules"), 401)
    modules = ok(call(url, "GET", "/v1/modules", creator[1]))["items"]
    assert {"news", "forum", "qa", "documents"} <= {module["name"] for module in modules}


# -- the other operations, end to end --------------------------------------------------------------


def test_settings_roles_modules_and_the_space_tree(url, creator):
    _, owner = creator
    community = new_community(url, owner, kind="interest", description="Rivers")
    cid, path = community["id"], f"/v1/communities/{community['id']}"
    ok(call(url, "POST", path + "/transitions", owner, {"to": "review"}))
    ok(call(url, "POST", path + "/validations", owner, {"section": "rules"}))

    changed = ok(call(url, "PATCH", path, owner, {"description": "Rivers and lakes", "charter": {"rules": "Cite."}}))
    assert (changed["description"], changed["charter"]["rules"]) == ("Rivers and lakes", "Cite.")
    rules = next(item for item in changed["review"]["sections"] if item["section"] == "rules")
    assert rules["validated"] is False  # a change clears its section's validation
    log = ok(call(url, "GET", path + "/changes", owner, params={"limit": 1}))
    assert len(log["items"]) == 1
    assert log["next_cursor"]
    rest = ok(call(url, "GET", path + "/changes", owner, params={"cursor": log["next_cursor"], "limit": 100}))
    settings = [item["setting"] for item in log["items"] + rest["items"]]
    assert {"state", "description", "charter.rules"} <= set(settings)

    roles = ok(call(url, "GET", path + "/roles", owner))
    matrix = {role["name"]: role["permissions"] for role in roles["roles"]}
    assert matrix["owner"] == roles["permissions"]
    matrix["mentor"] = ["read", "post", "comment", "validate"]
    updated = ok(call(url, "PUT", path + "/roles", owner, {"roles": matrix}))
    assert {"name": "mentor", "builtin": False, "permissions": ["read", "post", "comment", "validate"]} in updated[
        "roles"
    ]

    whole = ok(call(url, "PUT", path + "/modules", owner, {"modules": ["news", "forum", "qa"]}))
    assert whole == {"community_id": cid, "space_id": None, "modules": ["news", "forum", "qa"]}
    problem(call(url, "PUT", path + "/modules", owner, {"modules": ["telepathy"]}), 400)
    space = ok(call(url, "POST", path + "/spaces", owner, {"name": "Lakes", "visibility": "members"}), 201)
    one = ok(call(url, "PUT", path + "/modules", owner, {"modules": ["qa"], "space_id": space["id"]}))
    assert one == {"community_id": cid, "space_id": space["id"], "modules": ["qa"]}

    renamed = ok(call(url, "PATCH", f"/v1/spaces/{space['id']}", owner, {"name": "Great lakes"}))
    assert renamed["name"] == "Great lakes"
    assert call(url, "DELETE", f"/v1/spaces/{space['id']}", owner).status_code == 204
    assert ok(call(url, "GET", f"/v1/spaces/{space['id']}", owner))["archived"] is True
    problem(call(url, "PATCH", f"/v1/spaces/{space['id']}", owner, {"name": "Again"}), 409, "archived")


def test_requests_invitations_roles_and_bans(platform, url, creator):
    _, owner = creator
    community = new_community(url, owner, kind="interest", charter={"membership": {"policy": "request"}})
    cid, path = community["id"], f"/v1/communities/{community['id']}"
    launch(url, owner, cid)
    (alice_id, alice), (bob_id, bob) = make_user(url, name="Alice"), make_user(url, name="Bob")

    # a request is decided by a manager
    asked = ok(call(url, "POST", path + "/join", alice, {"message": "Hello"}))
    assert (asked["status"], asked["request"]["policy"]) == ("pending", "request")
    problem(call(url, "POST", path + "/join", alice, {}), 409, "request-pending")
    pending = ok(call(url, "GET", path + "/join-requests", owner))["items"]
    assert [item["user_id"] for item in pending] == [alice_id]
    approved = ok(call(url, "POST", f"/v1/join-requests/{pending[0]['id']}/approve", owner))
    assert approved["status"] == "approved"
    problem(call(url, "POST", f"/v1/join-requests/{pending[0]['id']}/approve", owner), 409, "request-closed")
    refused = ok(call(url, "POST", path + "/join", bob, {}))["request"]
    rejected = ok(call(url, "POST", f"/v1/join-requests/{refused['id']}/reject", owner, {"reason": "Off topic"}))
    assert (rejected["status"], rejected["reason"]) == ("rejected", "Off topic")
    listed = ok(call(url, "GET", path + "/join-requests", owner, params={"status": "rejected"}))["items"]
    assert [item["id"] for item in listed] == [refused["id"]]

    # roles, and an invitation for a named user
    assert ok(call(url, "PUT", f"{path}/members/{alice_id}", owner, {"role": "expert"}))["role"] == "expert"
    problem(call(url, "PUT", f"{path}/members/{alice_id}", owner, {"role": "wizard"}), 422, "unknown-role")
    experts = ok(call(url, "GET", path + "/members", alice, params={"role": "expert"}))["items"]
    assert [m["user_id"] for m in experts] == [alice_id]
    invited = wait_known(
        lambda: call(url, "POST", path + "/invitations", owner, {"role": "moderator", "user_id": bob_id})
    )
    invitation = ok(invited, 201)
    assert (invitation["role"], invitation["user_id"]) == ("moderator", bob_id)
    accept = f"/v1/invitations/{invitation['token']}/accept"
    problem(call(url, "POST", accept, alice), 403, "invitation-for-another-user")
    assert ok(call(url, "POST", accept, bob))["role"] == "moderator"
    problem(call(url, "POST", accept, bob), 409)
    problem(call(url, "POST", "/v1/invitations/not-a-token/accept", bob), 404)

    # a ban ends the membership until it is lifted
    ban = ok(call(url, "POST", f"{path}/bans/{alice_id}", owner, {"reason": "Spam"}))
    assert (ban["user_id"], ban["reason"]) == (alice_id, "Spam")
    problem(call(url, "POST", f"{path}/bans/{alice_id}", owner, {"reason": "Spam"}), 409, "already-banned")
    assert ok(call(url, "GET", path, alice))["my_role"] is None
    problem(call(url, "POST", path + "/join", alice, {}), 403, "banned")
    assert call(url, "DELETE", f"{path}/bans/{alice_id}", owner).status_code == 204
    problem(call(url, "DELETE", f"{path}/bans/{alice_id}", owner), 404)
    assert ok(call(url, "POST", path + "/join", alice, {}))["status"] == "pending"

    # a manager removes a member
    assert call(url, "DELETE", f"{path}/members/{bob_id}", owner).status_code == 204
    problem(call(url, "DELETE", f"{path}/members/{bob_id}", owner), 404)
    listed_kinds = ok(call(url, "GET", "/v1/communities", bob, params={"kind": "practice", "limit": 100}))["items"]
    assert cid not in {c["id"] for c in listed_kinds}
    assert all(c["kind"] == "practice" for c in listed_kinds)


def test_an_erased_account_leaves_its_communities(platform, url, creator):
    """identity's user.erased reaches spaces through the outbox and RabbitMQ: the member is gone from
    the members list, and a community whose last owner they were gets its manager as owner."""
    owner_id, owner = creator
    community = new_community(url, owner, kind="interest")
    cid = community["id"]
    launch(url, owner, cid)
    leaver_id, leaver = make_user(url, "community_creator", platform[1], name="Leaver")
    heir_id, heir = make_user(url, name="Heir")
    assert ok(call(url, "POST", f"/v1/communities/{cid}/join", leaver, {}))["status"] == "member"
    theirs = new_community(url, leaver, kind="interest")
    launch(url, leaver, theirs["id"])
    assert ok(call(url, "POST", f"/v1/communities/{theirs['id']}/join", heir, {}))["status"] == "member"
    ok(call(url, "PUT", f"/v1/communities/{theirs['id']}/members/{heir_id}", leaver, {"role": "manager"}))

    assert call(url, "DELETE", "/v1/me", leaver, {"password": PASSWORD}).status_code == 204

    def members(community_id, token):
        items = ok(call(url, "GET", f"/v1/communities/{community_id}/members", token))["items"]
        return {m["user_id"]: m["role"] for m in items}

    eventually(lambda: leaver_id not in members(cid, owner), timeout=20, what="the erased member to leave")
    assert members(cid, owner) == {owner_id: "owner"}
    eventually(lambda: members(theirs["id"], heir) == {heir_id: "owner"}, timeout=20, what="a new owner")


def test_a_project_s_work_package_keeps_its_own_members(url, creator):
    """A project community gets one sub-space per work package; one of them keeps its own members:
    its lead manages it, a contributor who is not on its list does not see it."""
    _, owner = creator
    project = new_community(url, owner, kind="project", work_packages=["WP1 Design", "WP2 Pilot"])
    cid = project["id"]
    spaces = spaces_of(url, cid, owner)
    wp1 = next(s for s in spaces if s["name"] == "WP1 Design")
    wp2 = next(s for s in spaces if s["name"] == "WP2 Pilot")
    assert wp1["parent_id"] == wp2["parent_id"] is not None  # both under the project's root space
    launch(url, owner, cid)
    people = {}
    for name in ("lead", "contributor"):
        user_id, token = make_user(url, name=name)
        invitation = wait_known(
            lambda uid=user_id: call(
                url, "POST", f"/v1/communities/{cid}/invitations", owner, {"role": "contributor", "user_id": uid}
            )
        )
        ok(call(url, "POST", f"/v1/invitations/{ok(invitation, 201)['token']}/accept", token))
        people[name] = (user_id, token)
    for name, (_, token) in people.items():  # both see both work packages: they inherit membership
        assert my_permissions(url, wp1["id"], token) == {"read", "post", "comment", "co_edit"}, name

    changed = ok(call(url, "PATCH", f"/v1/spaces/{wp1['id']}", owner, {"own_members": True}))
    assert changed["own_members"] is True
    lead_id, lead = people["lead"]
    contributor_id, contributor = people["contributor"]
    added = ok(call(url, "PUT", f"/v1/spaces/{wp1['id']}/members/{lead_id}", owner, {"role": "lead"}))
    assert added["role"] == "lead"
    assert "manage_members" in my_permissions(url, wp1["id"], lead)
    problem(call(url, "GET", f"/v1/spaces/{wp1['id']}", contributor), 404)  # not on WP1's list
    assert wp1["id"] not in {s["id"] for s in spaces_of(url, cid, contributor)}
    assert my_permissions(url, wp2["id"], contributor) == {"read", "post", "comment", "co_edit"}  # WP2 inherits

    # the lead manages WP1's list: the contributor joins it as a reviewer
    ok(call(url, "PUT", f"/v1/spaces/{wp1['id']}/members/{contributor_id}", lead, {"role": "reviewer"}))
    assert my_permissions(url, wp1["id"], contributor) == {"read", "comment", "validate"}
    listed = ok(call(url, "GET", f"/v1/spaces/{wp1['id']}/members", contributor))["items"]
    assert {m["user_id"]: m["role"] for m in listed} == {lead_id: "lead", contributor_id: "reviewer"}
    assert call(url, "DELETE", f"/v1/spaces/{wp1['id']}/members/{contributor_id}", lead).status_code == 204
    problem(call(url, "GET", f"/v1/spaces/{wp1['id']}/permissions/me", contributor), 404)
    problem(call(url, "PUT", f"/v1/spaces/{wp2['id']}/members/{lead_id}", owner, {"role": "lead"}), 409)
