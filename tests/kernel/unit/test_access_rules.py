"""The permission rules (kernel.access.rules), without a database: each rule of the module docstring."""

import pytest

from kernel.access import rules
from kernel.access.rules import ANONYMOUS, CommunityAccess, SpaceAccess, Standing

MATRIX = {
    "manager": frozenset(rules.PERMISSIONS),
    "moderator": frozenset({"read", "post", "comment", "moderate"}),
    "member": frozenset({"read", "post", "comment"}),
    "guest": frozenset({"read"}),
    "lurker": frozenset(),
}
LIVE = CommunityAccess("c", "live", MATRIX)
SIGNED_IN = Standing(signed_in=True)


def member(role="member"):
    return Standing(signed_in=True, role=role)


def space(id="s", parent=None, visibility="members", archived=False, matrix=None):
    return SpaceAccess(id, "c", parent, visibility, archived, matrix)


def test_the_owner_may_do_everything_whatever_the_matrix_says():
    community = CommunityAccess("c", "live", {"owner": frozenset()})
    assert rules.space_permissions(community, [space()], member("owner")) == rules.ALL_PERMISSIONS


@pytest.mark.parametrize(
    ("visibility", "standing", "sees"),
    [
        ("public", ANONYMOUS, True),
        ("public", SIGNED_IN, True),
        ("registered", ANONYMOUS, False),
        ("registered", SIGNED_IN, True),
        ("members", SIGNED_IN, False),
        ("members", member(), True),
        ("members", member("lurker"), False),  # a role without read does not see a members space
        ("secured", member(), False),  # the community matrix grants nothing in a secured space
        ("secured", member("owner"), True),
    ],
)
def test_visibility(visibility, standing, sees):
    assert (rules.space_permissions(LIVE, [space(visibility=visibility)], standing) is not None) is sees


def test_a_secured_space_is_seen_by_the_roles_its_own_matrix_grants_read():
    secured = space(visibility="secured", matrix={"moderator": frozenset({"read", "moderate"})})
    assert rules.space_permissions(LIVE, [secured], member("moderator")) == {"read", "moderate"}
    assert rules.space_permissions(LIVE, [secured], member("member")) is None


def test_a_child_never_shows_more_than_its_parent():
    parent = space("p", visibility="members")
    child = space("c1", parent="p", visibility="public")
    assert rules.space_permissions(LIVE, [parent, child], ANONYMOUS) is None
    assert rules.space_permissions(LIVE, [parent, child], member()) == {"read", "post", "comment"}


def test_a_child_inherits_its_parents_override_until_it_sets_its_own():
    parent = space("p", visibility="secured", matrix={"member": frozenset({"read"})})
    inheriting = space("c1", parent="p")
    overriding = space("c2", parent="p", matrix={"member": frozenset({"read", "co_edit"})})
    assert rules.space_permissions(LIVE, [parent, inheriting], member()) == {"read"}
    assert rules.space_permissions(LIVE, [parent, overriding], member()) == {"read", "co_edit"}


def test_whoever_sees_a_space_may_read_it_and_non_members_do_nothing_else():
    assert rules.space_permissions(LIVE, [space(visibility="public")], SIGNED_IN) == {"read"}


def test_a_banned_user_is_an_anonymous_visitor():
    banned = Standing(signed_in=True, role=None, banned=True)
    assert rules.space_permissions(LIVE, [space(visibility="registered")], banned) is None
    assert rules.space_permissions(LIVE, [space(visibility="public")], banned) == {"read"}
    assert not rules.community_visible(LIVE, banned, has_public_space=False)
    assert rules.community_visible(LIVE, banned, has_public_space=True)


@pytest.mark.parametrize("state", ["draft", "review", "pilot"])
def test_before_live_a_community_exists_only_for_its_members(state):
    community = CommunityAccess("c", state, MATRIX)
    public = space(visibility="public")
    assert rules.space_permissions(community, [public], SIGNED_IN) is None
    assert rules.space_permissions(community, [public], ANONYMOUS) is None
    assert rules.space_permissions(community, [public], member("guest")) == {"read"}
    assert not rules.community_visible(community, SIGNED_IN, has_public_space=True)
    assert rules.community_visible(community, member("guest"), has_public_space=False)


def test_archived_spaces_and_communities_are_read_only():
    archived_parent = space("p", archived=True)
    child = space("c1", parent="p")
    assert rules.space_permissions(LIVE, [archived_parent, child], member("manager")) == rules.READ_ONLY
    archived = CommunityAccess("c", "archived", MATRIX)
    assert rules.space_permissions(archived, [space()], member("manager")) == rules.READ_ONLY
    assert rules.community_permissions(archived, member("manager")) == rules.READ_ONLY


def test_community_permissions_are_the_roles_row_for_members_only():
    assert rules.community_permissions(LIVE, member("moderator")) == MATRIX["moderator"]
    assert rules.community_permissions(LIVE, SIGNED_IN) == frozenset()
    assert rules.community_permissions(LIVE, Standing(True, "manager", banned=True)) == frozenset()


def test_readable_spaces_decides_each_space_on_its_chain():
    spaces = [
        space("root", visibility="public"),
        space("inner", parent="root", visibility="members"),
        space("deep", parent="inner", visibility="public"),
        space("orphan", parent="missing", visibility="public"),
    ]
    assert set(rules.readable_spaces(LIVE, spaces, ANONYMOUS)) == {"root"}
    assert set(rules.readable_spaces(LIVE, spaces, member())) == {"root", "inner", "deep"}


def test_a_looping_chain_shows_nothing():
    by_id = {"a": space("a", parent="b"), "b": space("b", parent="a")}
    assert rules.chain_of("a", by_id) is None


def test_matrix_json_is_canonical():
    assert rules.matrix_json({"b": {"post", "read"}, "a": []}) == {"a": [], "b": ["read", "post"]}


def test_a_space_with_its_own_members_gives_roles_only_to_those_on_its_list():
    wp = SpaceAccess("wp", "c", None, "members", own_members=True)
    task = space("task", parent="wp")
    listed = {"wp": "moderator"}
    # on the list: that role there, and below
    assert rules.space_permissions(LIVE, [wp, task], member("member"), listed) == MATRIX["moderator"]
    # a community member not on the list does not see a members space of it
    assert rules.space_permissions(LIVE, [wp], member("member"), {}) is None
    # owners and managers keep their role everywhere
    assert rules.space_permissions(LIVE, [wp], member("manager"), {}) == MATRIX["manager"]
    assert rules.space_permissions(LIVE, [wp], member("owner"), {}) == rules.ALL_PERMISSIONS
    # a listed user who is no longer a community member (or is banned) has nothing
    assert rules.space_permissions(LIVE, [wp], Standing(True, None), listed) is None
    assert rules.space_permissions(LIVE, [wp], Standing(True, "member", banned=True), listed) is None


def test_a_public_space_with_its_own_members_still_shows_itself_to_everyone():
    wp = SpaceAccess("wp", "c", None, "public", own_members=True)
    assert rules.space_permissions(LIVE, [wp], member("member"), {}) == {"read"}
    assert rules.space_permissions(LIVE, [wp], member("member"), {"wp": "member"}) == MATRIX["member"]
