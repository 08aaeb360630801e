"""Spaces that keep their own members, on a real SpacesService (RabbitMQ + PostgreSQL): a work
package's people get their role there, others in the community do not see it, owners and managers
keep theirs, and leaving the community ends the roles in its spaces."""

import pytest

from kernel import errors
from kernel.events.catalog import SPACE_MEMBER_ADDED, SPACE_MEMBER_REMOVED, SPACE_UPDATED
from tests.spaces.interface.conftest import events, make_actor, query


@pytest.fixture
def work_package(spaces, community):
    """A live project-like setting: an interest community (open joining) with a members space made
    to keep its own members, and three members. ``(owner, cid, space, alice, bob, manager)``."""
    owner = make_actor("community_creator")
    cid = community(kind="interest", owner=owner, state="live")["id"]
    space = spaces.create_space(owner, cid, {"name": "WP1", "visibility": "members"})
    alice, bob, manager = make_actor(), make_actor(), make_actor()
    for person in (alice, bob, manager):
        assert spaces.join(person, cid, {})["status"] == "member"
    spaces.set_member_role(owner, cid, manager["user_id"], "manager")
    space = spaces.update_space(owner, space["id"], {"own_members": True})
    return owner, cid, space, alice, bob, manager


def permissions(spaces, person, space_id):
    try:
        return set(spaces.my_permissions(person, space_id)["permissions"])
    except errors.NotFound:
        return None


def test_only_the_space_s_own_members_get_a_role_there(spaces, work_package, db):
    owner, cid, space, alice, bob, manager = work_package
    assert space["own_members"] is True
    assert events(db, SPACE_UPDATED, f"community/{cid}")[-1]["access"]["own_members"] is True
    child = spaces.create_space(owner, cid, {"name": "Tasks", "visibility": "members", "parent_id": space["id"]})

    assert permissions(spaces, alice, space["id"]) is None  # not on the list yet: it does not exist for her
    added = spaces.set_space_member(owner, space["id"], alice["user_id"], "moderator")
    assert (added["role"], added["user_id"]) == ("moderator", alice["user_id"])
    moderator = {"read", "post", "comment", "co_edit", "moderate", "view_insights"}
    assert permissions(spaces, alice, space["id"]) == moderator
    assert permissions(spaces, alice, child["id"]) == moderator  # and below
    assert permissions(spaces, bob, space["id"]) is None
    assert permissions(spaces, bob, child["id"]) is None
    assert permissions(spaces, manager, space["id"]) is not None  # managers keep their role everywhere
    assert "configure" in permissions(spaces, owner, child["id"])
    assert space["id"] not in {s["id"] for s in spaces.list_spaces(bob, cid, 100, None)["items"]}

    event = events(db, SPACE_MEMBER_ADDED, f"community/{cid}")[-1]
    assert (event["user_id"], event["role"], event["previous_role"]) == (alice["user_id"], "moderator", None)
    row = query(
        db,
        "SELECT role, revision FROM access_space_members WHERE space_id = %s AND user_id = %s",
        (space["id"], alice["user_id"]),
    )
    assert row == [("moderator", event["revision"])]

    page = spaces.list_space_members(alice, space["id"], 20, None)
    assert [m["user_id"] for m in page["items"]] == [alice["user_id"]]


def test_the_same_role_again_changes_nothing_and_another_is_a_change(spaces, work_package, db):
    owner, cid, space, alice, _, manager = work_package
    spaces.set_space_member(owner, space["id"], alice["user_id"], "member")
    spaces.set_space_member(manager, space["id"], alice["user_id"], "member")
    spaces.set_space_member(manager, space["id"], alice["user_id"], "expert")
    added = [e for e in events(db, SPACE_MEMBER_ADDED, f"community/{cid}") if e["user_id"] == alice["user_id"]]
    assert [(e["previous_role"], e["role"]) for e in added] == [(None, "member"), ("member", "expert")]


def test_who_may_and_what_is_refused(spaces, work_package):
    owner, cid, space, alice, bob, _ = work_package
    spaces.set_space_member(owner, space["id"], alice["user_id"], "moderator")
    with pytest.raises(errors.NotFound):  # bob does not see the space
        spaces.set_space_member(bob, space["id"], bob["user_id"], "manager")
    with pytest.raises(errors.PermissionDenied):  # a moderator there does not manage its members
        spaces.set_space_member(alice, space["id"], bob["user_id"], "member")
    with pytest.raises(errors.Unprocessable):
        spaces.set_space_member(owner, space["id"], bob["user_id"], "owner")
    with pytest.raises(errors.Unprocessable):
        spaces.set_space_member(owner, space["id"], bob["user_id"], "no-such-role")
    with pytest.raises(errors.NotFound):  # not a member of the community
        spaces.set_space_member(owner, space["id"], make_actor()["user_id"], "member")
    with pytest.raises(errors.InvalidInput):
        spaces.set_space_member(owner, space["id"], bob["user_id"], "")
    shared = spaces.create_space(owner, cid, {"name": "Shared", "visibility": "members"})
    with pytest.raises(errors.Conflict) as caught:
        spaces.set_space_member(owner, shared["id"], bob["user_id"], "member")
    assert caught.value.code == "space-inherits-members"
    with pytest.raises(errors.NotFound):
        spaces.remove_space_member(owner, space["id"], bob["user_id"])
    # the list is for community members who see the space: a visitor of a public one gets 403
    hall = spaces.create_space(owner, cid, {"name": "Hall", "visibility": "public"})
    spaces.update_space(owner, hall["id"], {"own_members": True})
    assert spaces.list_space_members(bob, hall["id"], 20, None)["items"] == []
    with pytest.raises(errors.PermissionDenied):
        spaces.list_space_members(make_actor(), hall["id"], 20, None)


def test_leaving_the_community_ends_the_roles_in_its_spaces(spaces, work_package, db):
    owner, cid, space, alice, _, _ = work_package
    spaces.set_space_member(owner, space["id"], alice["user_id"], "moderator")
    spaces.remove_member(alice, cid, alice["user_id"])  # she leaves
    removed = events(db, SPACE_MEMBER_REMOVED, f"community/{cid}")[-1]
    assert (removed["space_id"], removed["user_id"], removed["removed_by"]) == (space["id"], alice["user_id"], None)
    assert query(
        db,
        "SELECT role FROM access_space_members WHERE space_id = %s AND user_id = %s",
        (space["id"], alice["user_id"]),
    ) == [(None,)]
    assert spaces.join(alice, cid, {})["status"] == "member"  # back, but not on the work package's list
    assert permissions(spaces, alice, space["id"]) is None


def test_a_custom_role_held_in_a_space_cannot_be_dropped(spaces, work_package):
    owner, cid, space, alice, _, _ = work_package
    roles = {r["name"]: r["permissions"] for r in spaces.get_roles(owner, cid)["roles"]}
    spaces.set_roles(owner, cid, {**roles, "wp-lead": ["read", "post", "manage_members"]})
    spaces.set_space_member(owner, space["id"], alice["user_id"], "wp-lead")
    assert "manage_members" in permissions(spaces, alice, space["id"])
    with pytest.raises(errors.Conflict) as caught:
        spaces.set_roles(owner, cid, roles)
    assert caught.value.code == "role-in-use"
