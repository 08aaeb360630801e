"""The space tree through a real SpacesService: creating, listing and reading spaces as each caller
may, changing, archiving and moving sub-trees, permission overrides — with the events in the outbox
and the access read model in step with them."""

from __future__ import annotations

import uuid

import pytest

from kernel import errors
from kernel.access.rules import PERMISSIONS
from kernel.events import catalog
from tests.spaces.interface.conftest import events, query
from tests.spaces.interface.test_communities import add_member, subject

ALL = list(PERMISSIONS)


def space_named(db, community: dict, slug: str) -> str:
    rows = query(db, "SELECT id::text FROM spaces WHERE community_id = %s AND slug = %s", (community["id"], slug))
    return rows[0][0]


def read_model(db, space_id: str) -> tuple:
    rows = query(
        db,
        "SELECT parent_id::text, visibility, archived, matrix, revision FROM access_spaces WHERE space_id = %s",
        (space_id,),
    )
    return rows[0]


@pytest.fixture
def owner(actor):
    return actor("community_creator")


# -- creating --------------------------------------------------------------------------------------


def test_a_child_space_inherits(spaces, owner, community, db):
    made = community(kind="practice", owner=owner)
    root = space_named(db, made, "members")
    child = spaces.create_space(owner, made["id"], {"name": "Recipes", "visibility": "members", "parent_id": root})
    assert child["parent_id"] == root
    assert child["slug"] == "recipes"
    assert child["inherits_permissions"] is True
    assert child["matrix"] is None
    assert child["modules"] == made["modules"]
    assert child["my_permissions"] == ALL
    assert child["archived"] is False
    created = events(db, catalog.SPACE_CREATED, subject(made))[-1]
    assert created["space_id"] == child["id"]
    assert created["access"] == {
        "space_id": child["id"],
        "community_id": made["id"],
        "parent_id": root,
        "visibility": "members",
        "archived": False,
        "matrix": None,
        "own_members": False,
        "modules": None,
        "validation": None,
    }
    assert read_model(db, child["id"]) == (root, "members", False, None, created["revision"])


def test_a_secured_space_without_a_matrix_is_for_owner_and_managers(spaces, owner, community, db):
    made = community(kind="practice", owner=owner, state="live")
    member = add_member(db, made["id"], "member")
    manager = add_member(db, made["id"], "manager")
    secured = spaces.create_space(owner, made["id"], {"name": "Board", "visibility": "secured"})
    assert secured["inherits_permissions"] is False
    assert set(secured["matrix"]) == {"owner", "manager"}
    assert secured["matrix"]["owner"] == ALL
    assert spaces.get_space(manager, secured["id"])["my_permissions"] == ALL
    with pytest.raises(errors.NotFound):
        spaces.get_space(member, secured["id"])
    granted = spaces.set_space_permissions(
        owner, secured["id"], False, {**secured["matrix"], "member": ["read", "comment"]}
    )
    assert granted["matrix"]["member"] == ["read", "comment"]
    assert spaces.my_permissions(member, secured["id"]) == {
        "space_id": secured["id"],
        "community_id": made["id"],
        "role": "member",
        "permissions": ["read", "comment"],
    }
    recorded = events(db, catalog.ROLE_MATRIX_CHANGED, subject(made))[-1]
    assert recorded["space_id"] == secured["id"]
    assert recorded["community_access"] is None
    assert recorded["space_access"]["matrix"]["member"] == ["read", "comment"]
    assert read_model(db, secured["id"])[3]["member"] == ["read", "comment"]


def test_a_sub_space_inherits_then_overrides(spaces, owner, community, db):
    made = community(kind="practice", owner=owner, state="live")
    member = add_member(db, made["id"], "member")
    root = space_named(db, made, "members")
    child = spaces.create_space(owner, made["id"], {"name": "Kitchen", "visibility": "members", "parent_id": root})
    assert spaces.my_permissions(member, child["id"])["permissions"] == ["read", "post", "comment", "co_edit"]
    overridden = spaces.set_space_permissions(owner, child["id"], False, {"member": ["read"], "expert": ["read"]})
    assert overridden["inherits_permissions"] is False
    assert overridden["matrix"] == {"expert": ["read"], "member": ["read"], "owner": ALL}
    assert spaces.my_permissions(member, child["id"])["permissions"] == ["read"]
    without_members = spaces.set_space_permissions(owner, child["id"], False, {"expert": ["read"]})
    assert "member" not in without_members["matrix"]
    with pytest.raises(errors.NotFound):
        spaces.get_space(member, child["id"])  # a members space needs the role's read in its matrix
    back = spaces.set_space_permissions(owner, child["id"], True)
    assert back["inherits_permissions"] is True
    assert read_model(db, child["id"])[3] is None
    assert spaces.my_permissions(member, child["id"])["permissions"] == ["read", "post", "comment", "co_edit"]
    rows = query(
        db, "SELECT count(*) FROM community_changes WHERE community_id = %s AND setting = 'space.matrix'", (made["id"],)
    )
    assert rows == [(3,)]


def test_space_creation_refusals(spaces, owner, community, actor, db):
    made = community(kind="practice", owner=owner, state="live")
    other = community(kind="practice", owner=owner)
    member = add_member(db, made["id"], "member")
    with pytest.raises(errors.PermissionDenied):
        spaces.create_space(member, made["id"], {"name": "Mine", "visibility": "members"})
    with pytest.raises(errors.NotFound):
        spaces.create_space(actor(), other["id"], {"name": "Mine", "visibility": "members"})
    foreign_parent = space_named(db, other, "members")
    with pytest.raises(errors.InvalidInput):
        spaces.create_space(owner, made["id"], {"name": "X", "visibility": "members", "parent_id": foreign_parent})
    for parent in (str(uuid.uuid4()), "nope"):
        with pytest.raises(errors.NotFound):
            spaces.create_space(owner, made["id"], {"name": "X", "visibility": "members", "parent_id": parent})
    with pytest.raises(errors.InvalidInput):
        spaces.create_space(owner, made["id"], {"name": "X", "visibility": "hidden"})
    with pytest.raises(errors.InvalidInput):
        spaces.create_space(owner, made["id"], {"name": "X", "visibility": "secured", "matrix": {"lead": ["read"]}})
    with pytest.raises(errors.InvalidInput):
        spaces.create_space(owner, made["id"], {"name": "X", "visibility": "public", "modules": ["chess"]})
    with pytest.raises(errors.Conflict) as caught:
        spaces.create_space(owner, made["id"], {"name": "MEMBERS", "visibility": "members"})
    assert caught.value.code == "slug-taken"
    with pytest.raises(errors.NotFound):
        spaces.create_space(owner, "not-a-uuid", {"name": "X", "visibility": "members"})


# -- reading ---------------------------------------------------------------------------------------


def test_anonymous_visitors_read_public_spaces_only(spaces, owner, community, actor, db):
    made = community(kind="interest", owner=owner, state="live")
    public = space_named(db, made, "public")
    secured = space_named(db, made, "members")
    listed = spaces.list_spaces(None, made["id"], 10, None)
    assert [item["id"] for item in listed["items"]] == [public]
    assert listed["items"][0]["my_permissions"] == ["read"]
    assert spaces.get_space(None, public)["name"] == "Public"
    assert spaces.my_permissions(None, public) == {
        "space_id": public,
        "community_id": made["id"],
        "role": None,
        "permissions": ["read"],
    }
    for space_id in (secured, "not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(errors.NotFound):
            spaces.get_space(None, space_id)
        with pytest.raises(errors.NotFound):
            spaces.my_permissions(actor(), space_id)
    assert spaces.get_community(None, made["id"])["spaces_count"] == 1


def test_spaces_of_a_draft_are_hidden_from_non_members(spaces, owner, community, actor, db):
    made = community(kind="interest", owner=owner)
    public = space_named(db, made, "public")
    with pytest.raises(errors.NotFound):
        spaces.get_space(None, public)
    with pytest.raises(errors.NotFound):
        spaces.list_spaces(actor(), made["id"], 10, None)


def test_list_spaces_pages_through_readable_spaces(spaces, owner, community, db):
    made = community(kind="interest", owner=owner, state="live")
    member = add_member(db, made["id"], "guest")
    for n in range(3):
        spaces.create_space(owner, made["id"], {"name": f"Open {n}", "visibility": "registered"})
    spaces.create_space(owner, made["id"], {"name": "Hidden", "visibility": "secured"})
    seen, after = [], None
    while True:
        page = spaces.list_spaces(member, made["id"], 2, after)
        seen += [item["name"] for item in page["items"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert sorted(seen) == ["Open 0", "Open 1", "Open 2", "Public"]
    assert spaces.get_community(member, made["id"])["spaces_count"] == 4
    assert spaces.get_community(owner, made["id"])["spaces_count"] == 6
    with pytest.raises(errors.InvalidInput):
        spaces.list_spaces(member, made["id"], 101, None)


# -- changing --------------------------------------------------------------------------------------


def test_update_space(spaces, owner, community, db):
    made = community(kind="interest", owner=owner)
    space = spaces.create_space(owner, made["id"], {"name": "Café", "visibility": "members"})
    assert space["slug"] == "cafe"
    updated = spaces.update_space(owner, space["id"], {"name": "Tea room", "slug": "tea", "visibility": "secured"})
    assert (updated["name"], updated["slug"], updated["visibility"]) == ("Tea room", "tea", "secured")
    assert set(updated["matrix"]) == {"owner", "manager"}  # secured: the default override
    recorded = events(db, catalog.SPACE_UPDATED, subject(made))[-1]
    assert recorded["changed"] == ["name", "slug", "visibility", "matrix"]
    assert recorded["access"]["visibility"] == "secured"
    assert read_model(db, space["id"])[1] == "secured"
    spaces.update_space(owner, space["id"], {"name": "Tea room"})  # no change, no event
    assert len(events(db, catalog.SPACE_UPDATED, subject(made))) == 1
    with pytest.raises(errors.Conflict):
        spaces.update_space(owner, space["id"], {"slug": "public"})
    with pytest.raises(errors.InvalidInput):
        spaces.update_space(owner, space["id"], {"parent_id": None})


def test_archiving_takes_the_whole_sub_tree(spaces, owner, community, db):
    made = community(kind="practice", owner=owner, state="live")
    root = space_named(db, made, "members")
    child = spaces.create_space(owner, made["id"], {"name": "A", "visibility": "members", "parent_id": root})
    grandchild = spaces.create_space(
        owner, made["id"], {"name": "B", "visibility": "members", "parent_id": child["id"]}
    )
    sibling = spaces.create_space(owner, made["id"], {"name": "C", "visibility": "members"})
    archived = spaces.archive_space(owner, child["id"])
    assert archived["archived"] is True
    assert archived["my_permissions"] == ["read", "view_insights"]
    recorded = events(db, catalog.SPACE_ARCHIVED, subject(made))
    assert len(recorded) == 1
    assert recorded[0]["space_id"] == child["id"]
    assert {snapshot["space_id"] for snapshot in recorded[0]["access"]} == {child["id"], grandchild["id"]}
    assert all(snapshot["archived"] for snapshot in recorded[0]["access"])
    assert read_model(db, grandchild["id"])[2] is True
    assert read_model(db, sibling["id"])[2] is False
    assert read_model(db, root)[2] is False
    for target in (child["id"], grandchild["id"]):
        with pytest.raises(errors.Conflict) as caught:
            spaces.archive_space(owner, target)
        assert caught.value.code == "archived"
    with pytest.raises(errors.Conflict):
        spaces.create_space(owner, made["id"], {"name": "D", "visibility": "members", "parent_id": child["id"]})
    with pytest.raises(errors.Conflict):
        spaces.update_space(owner, grandchild["id"], {"name": "Renamed"})


def test_moving_and_cycles(spaces, owner, community, db):
    made = community(kind="practice", owner=owner)
    root = space_named(db, made, "members")
    a = spaces.create_space(owner, made["id"], {"name": "A", "visibility": "members", "parent_id": root})
    b = spaces.create_space(owner, made["id"], {"name": "B", "visibility": "members", "parent_id": a["id"]})
    other = community(kind="practice", owner=owner)
    for target in (a["id"], b["id"]):
        with pytest.raises(errors.Conflict) as caught:
            spaces.move_space(owner, a["id"], target)
        assert caught.value.code == "space-cycle"
    with pytest.raises(errors.Conflict):
        spaces.move_space(owner, root, b["id"])
    with pytest.raises(errors.InvalidInput):
        spaces.move_space(owner, a["id"], space_named(db, other, "members"))
    with pytest.raises(errors.NotFound):
        spaces.move_space(owner, a["id"], str(uuid.uuid4()))
    moved = spaces.move_space(owner, b["id"], None)
    assert moved["parent_id"] is None
    recorded = events(db, catalog.SPACE_MOVED, subject(made))
    assert [(e["space_id"], e["previous_parent_id"], e["parent_id"]) for e in recorded] == [(b["id"], a["id"], None)]
    assert read_model(db, b["id"])[0] is None
    moved = spaces.move_space(owner, a["id"], b["id"])  # allowed now that b is out of a's sub-tree
    assert moved["parent_id"] == b["id"]
    assert read_model(db, a["id"])[0] == b["id"]
    spaces.move_space(owner, a["id"], b["id"])  # same parent: nothing recorded
    assert len(events(db, catalog.SPACE_MOVED, subject(made))) == 2


def test_space_changes_need_configure(spaces, owner, community, db):
    made = community(kind="practice", owner=owner, state="live")
    member = add_member(db, made["id"], "member")
    root = space_named(db, made, "members")
    with pytest.raises(errors.PermissionDenied):
        spaces.update_space(member, root, {"name": "Mine"})
    with pytest.raises(errors.PermissionDenied):
        spaces.archive_space(member, root)
    with pytest.raises(errors.PermissionDenied):
        spaces.move_space(member, root, None)
    with pytest.raises(errors.PermissionDenied):
        spaces.set_space_permissions(member, root, True)
    with pytest.raises(errors.InvalidInput):
        spaces.set_space_permissions(owner, root, False)  # no matrix
    with pytest.raises(errors.InvalidInput):
        spaces.set_space_permissions(owner, root, True, {"member": ["read"]})
    with pytest.raises(errors.InvalidInput):
        spaces.set_space_permissions(owner, root, False, {"stranger": ["read"]})
    with pytest.raises(errors.Unauthenticated):
        spaces.update_space(None, root, {"name": "Anon"})


def test_an_archived_community_is_read_only(spaces, owner, community, db):
    made = community(kind="practice", owner=owner, state="archived")
    root = space_named(db, made, "members")
    assert spaces.get_space(owner, root)["my_permissions"] == ["read", "view_insights"]
    for attempt in (
        lambda: spaces.create_space(owner, made["id"], {"name": "Late", "visibility": "members"}),
        lambda: spaces.update_space(owner, root, {"name": "Late"}),
        lambda: spaces.archive_space(owner, root),
        lambda: spaces.set_space_permissions(owner, root, True),
        lambda: spaces.set_modules(owner, made["id"], ["news"]),
        lambda: spaces.set_roles(owner, made["id"], {"owner": []}),
    ):
        with pytest.raises(errors.Conflict) as caught:
            attempt()
        assert caught.value.code == "archived"
