"""Communities through a real SpacesService (RabbitMQ + PostgreSQL): creation from presets, reading
and listing with what each caller may see, settings and their change log, the review, the
lifecycle, pilot feedback, roles and modules — with the events in the outbox and the access read
model in step with them."""

from __future__ import annotations

import itertools
import uuid

import pytest

from kernel import errors
from kernel.access.rules import PERMISSIONS
from kernel.events import catalog
from tests.spaces.interface.conftest import SECTIONS, bring_to, events, make_actor, query, unique_name

ALL = list(PERMISSIONS)


def add_member(db, community_id: str, role: str, user: dict | None = None) -> dict:
    """A member with ``role``, written straight into the service's tables and read model (the
    membership entrypoints are not what these tests are about)."""
    user = user or make_actor()
    query(
        db,
        "INSERT INTO members (community_id, user_id, role, via, joined_at) VALUES (%s, %s, %s, 'invitation', now())"
        " RETURNING 1",
        (community_id, user["user_id"], role),
    )
    query(
        db,
        "INSERT INTO access_members (community_id, user_id, role, banned, revision)"
        " VALUES (%s, %s, %s, false, nextval('access_revision')) RETURNING 1",
        (community_id, user["user_id"], role),
    )
    return user


def subject(community: dict) -> str:
    return f"community/{community['id']}"


# -- creation ----------------------------------------------------------------------------------------


def test_an_interest_community_starts_from_its_preset(spaces, actor, db):
    owner = actor("community_creator")
    made = spaces.create_community(owner, {"name": unique_name("Cuisine Française"), "kind": "interest"})
    assert made["state"] == "draft"
    assert made["slug"].startswith("cuisine-francaise-")
    assert made["charter"]["access_mode"] == "mixed"
    assert made["charter"]["membership"]["policy"] == "open"
    assert made["charter"]["validation"] == {"mode": "none", "steps": []}
    assert made["modules"] == ["news", "forum"]
    assert made["my_role"] == "owner"
    assert made["my_permissions"] == ALL
    assert made["member_count"] == 1
    assert made["spaces_count"] == 2
    assert made["review"]["complete"] is False
    assert query(db, "SELECT user_id::text, role, via FROM members WHERE community_id = %s", (made["id"],)) == [
        (owner["user_id"], "owner", "creator")
    ]
    spaces_made = query(
        db, "SELECT name, visibility, matrix IS NULL FROM spaces WHERE community_id = %s ORDER BY name", (made["id"],)
    )
    assert spaces_made == [("Members", "secured", False), ("Public", "public", True)]


def test_creation_events_come_in_order_and_feed_the_read_model(spaces, actor, db):
    owner = actor("admin")
    made = spaces.create_community(owner, {"name": unique_name(), "kind": "practice"})
    types = [row[0] for row in query(db, "SELECT type FROM outbox WHERE subject = %s ORDER BY seq", (subject(made),))]
    assert types == [catalog.COMMUNITY_CREATED, catalog.SPACE_CREATED, catalog.MEMBER_JOINED]
    created = events(db, catalog.COMMUNITY_CREATED, subject(made))[0]
    assert created["access_mode"] == "authorized"
    assert created["membership_policy"] == "cooptation"
    assert created["created_by"] == owner["user_id"]
    assert created["access"]["state"] == "draft"
    assert created["access"]["matrix"]["member"] == ["read", "post", "comment", "co_edit"]
    joined = events(db, catalog.MEMBER_JOINED, subject(made))[0]
    assert joined == {
        "community_id": made["id"],
        "user_id": owner["user_id"],
        "role": "owner",
        "via": "creator",
        "revision": joined["revision"],
    }
    assert query(db, "SELECT state, revision FROM access_communities WHERE community_id = %s", (made["id"],)) == [
        ("draft", created["revision"])
    ]
    assert query(db, "SELECT role, revision FROM access_members WHERE community_id = %s", (made["id"],)) == [
        ("owner", joined["revision"])
    ]
    space_event = events(db, catalog.SPACE_CREATED, subject(made))[0]
    assert space_event["revision"] > created["revision"]
    assert query(db, "SELECT visibility FROM access_spaces WHERE space_id = %s", (space_event["space_id"],)) == [
        ("members",)
    ]


def test_a_project_gets_a_space_per_work_package(spaces, actor, db):
    made = spaces.create_community(
        actor("community_creator"), {"name": unique_name(), "kind": "project", "work_packages": ["Design", "Build"]}
    )
    assert made["charter"]["membership"]["default_role"] == "contributor"
    assert made["charter"]["validation"]["mode"] == "multi_step"
    rows = query(
        db,
        "SELECT s.name, p.name, s.matrix IS NULL FROM spaces s LEFT JOIN spaces p ON p.id = s.parent_id"
        " WHERE s.community_id = %s ORDER BY s.name",
        (made["id"],),
    )
    assert rows == [("Build", "Members", True), ("Design", "Members", True), ("Members", None, True)]
    roles = spaces.get_roles(actor_of_owner(db, made), made["id"])
    names = [role["name"] for role in roles["roles"]]
    assert names[:6] == ["owner", "manager", "moderator", "expert", "member", "guest"]
    assert names[6:] == ["contributor", "lead", "observer", "reviewer"]


def actor_of_owner(db, community: dict) -> dict:
    user_id = query(db, "SELECT created_by::text FROM communities WHERE id = %s", (community["id"],))[0][0]
    return {**make_actor("community_creator"), "user_id": user_id}


def test_creation_takes_overrides(spaces, actor):
    owner = actor("community_creator")
    made = spaces.create_community(
        owner,
        {
            "name": unique_name(),
            "slug": "My-Own-" + uuid.uuid4().hex[:8],
            "kind": "interest",
            "languages": ["fr", "it"],
            "charter": {"access_mode": "open", "rules": "Be kind", "topics": ["bread"]},
            "matrix": {"scout": ["read", "post"], "guest": []},
            "modules": ["qa", "meetings"],
        },
    )
    assert made["slug"].startswith("my-own-")
    assert made["languages"] == ["fr", "it"]
    assert made["charter"]["rules"] == "Be kind"
    assert made["charter"]["membership"]["policy"] == "open"  # the preset's, not replaced
    assert made["modules"] == ["qa", "meetings"]
    assert made["spaces_count"] == 1  # open: one public "General"
    roles = {role["name"]: role["permissions"] for role in spaces.get_roles(owner, made["id"])["roles"]}
    assert roles["scout"] == ["read", "post"]
    assert roles["guest"] == []


def test_only_creators_create(spaces, actor):
    with pytest.raises(errors.PermissionDenied) as caught:
        spaces.create_community(actor("member"), {"name": unique_name(), "kind": "interest"})
    assert caught.value.code == "not-a-creator"
    with pytest.raises(errors.Unauthenticated):
        spaces.create_community(None, {"name": unique_name(), "kind": "interest"})


def test_slugs_are_unique_whatever_their_case(spaces, actor, community):
    slug = "bakers-" + uuid.uuid4().hex[:8]
    community(slug=slug)
    with pytest.raises(errors.Conflict) as caught:
        community(slug=slug.upper())
    assert caught.value.code == "slug-taken"
    name = unique_name("Same Name")
    community(name=name)
    with pytest.raises(errors.Conflict):
        community(name=name)  # the derived slug is taken


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "interest"},
        {"name": "X", "kind": "hobby"},
        {"name": "", "kind": "interest"},
        {"name": "X", "kind": "interest", "modules": ["chess"]},
        {"name": "X", "kind": "interest", "matrix": {"Bad Name": ["read"]}},
        {"name": "X", "kind": "interest", "matrix": {"member": ["fly"]}},
        {"name": "X", "kind": "interest", "work_packages": ["WP"]},
        {"name": "X", "kind": "interest", "charter": {"access_mode": "closed"}},
        {"name": "X", "kind": "interest", "charter": {"content_types": ["poem"]}},
        {"name": "X", "kind": "interest", "charter": {"membership": {"policy": "open", "default_role": "lead"}}},
        {"name": "X", "kind": "interest", "slug": "not a slug"},
        {"name": "X", "kind": "interest", "colour": "blue"},
        "not an object",
    ],
)
def test_bad_input_is_invalid(spaces, actor, data):
    with pytest.raises(errors.InvalidInput):
        spaces.create_community(actor("community_creator"), data)


# -- reading and listing -----------------------------------------------------------------------------


def test_a_draft_exists_only_for_its_members(spaces, actor, community):
    made = community()
    with pytest.raises(errors.NotFound):
        spaces.get_community(actor(), made["id"])
    with pytest.raises(errors.NotFound):
        spaces.get_community(None, made["id"])
    for bad in ("not-a-uuid", None, 42, str(uuid.uuid4())):
        with pytest.raises(errors.NotFound):
            spaces.get_community(actor(), bad)


def test_what_each_caller_sees_of_a_live_community(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(kind="interest", owner=owner, state="live")
    member = add_member(db, made["id"], "member")
    stranger = spaces.get_community(actor(), made["id"])
    assert stranger["my_role"] is None
    assert stranger["my_permissions"] == []
    assert stranger["member_count"] is None
    assert stranger["review"] is None
    assert stranger["spaces_count"] == 1  # "Public" only: "Members" is secured
    anonymous = spaces.get_community(None, made["id"])
    assert anonymous["spaces_count"] == 1
    seen = spaces.get_community(member, made["id"])
    assert seen["my_role"] == "member"
    assert seen["my_permissions"] == ["read", "post", "comment"]
    assert seen["member_count"] == 2
    assert seen["spaces_count"] == 2
    assert seen["review"] is None
    assert spaces.get_community(owner, made["id"])["review"]["complete"] is True


def test_anonymous_visitors_find_only_communities_with_a_public_root(spaces, actor, community):
    public = community(kind="interest", state="live")
    closed = community(kind="practice", state="live")
    draft = community(kind="interest")
    found = collect(spaces, None)
    assert public["id"] in found
    assert closed["id"] not in found
    assert draft["id"] not in found
    signed_in = collect(spaces, actor())
    assert {public["id"], closed["id"]} <= signed_in
    assert draft["id"] not in signed_in


def collect(spaces, caller, **filters) -> set[str]:
    found, after = set(), None
    while True:
        page = spaces.list_communities(caller, 100, after, **filters)
        found |= {item["id"] for item in page["items"]}
        if page["next"] is None:
            return found
        after = page["next"]


def test_listing_filters_and_pages(spaces, actor, community):
    owner = actor("community_creator")
    mine = [community(kind="practice", owner=owner) for _ in range(3)]
    other = community(kind="interest", owner=owner)
    first = spaces.list_communities(owner, 2, None, member_only=True, kind="practice")
    assert len(first["items"]) == 2
    assert first["next"] is not None
    rest = spaces.list_communities(owner, 2, first["next"], member_only=True, kind="practice")
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert ids == [made["id"] for made in mine]
    assert other["id"] not in ids
    assert all(item["my_role"] == "owner" and item["spaces_count"] == 1 for item in first["items"])
    assert collect(spaces, actor(), member_only=True).isdisjoint(ids)
    with pytest.raises(errors.InvalidInput):
        spaces.list_communities(owner, 0, None)
    with pytest.raises(errors.InvalidInput):
        spaces.list_communities(owner, 10, {"created_at": "yesterday", "id": "x"})
    with pytest.raises(errors.InvalidInput):
        spaces.list_communities(owner, 10, None, kind="hobby")


# -- settings, change log, review ------------------------------------------------------------------


def test_changes_are_logged_and_clear_their_sections(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner, state="review")
    for section in SECTIONS:
        spaces.validate_section(owner, made["id"], section)
    updated = spaces.update_community(
        owner,
        made["id"],
        {"description": "For bakers", "charter": {"rules": "Be kind", "topics": []}},
    )
    assert updated["description"] == "For bakers"
    assert updated["charter"]["rules"] == "Be kind"
    assert updated["charter"]["access_mode"] == "mixed"  # untouched keys stay
    review = {s["section"]: s["validated"] for s in updated["review"]["sections"]}
    assert review == {s: s not in ("identity", "rules") for s in SECTIONS}
    rows = query(
        db,
        "SELECT section, setting, before, after, changed_by::text FROM community_changes"
        " WHERE community_id = %s AND section <> 'lifecycle' ORDER BY id",
        (made["id"],),
    )
    assert rows == [
        ("identity", "description", "", "For bakers", owner["user_id"]),
        ("rules", "charter.rules", "", "Be kind", owner["user_id"]),
    ]
    updated = events(db, catalog.COMMUNITY_UPDATED, subject(made))
    assert [{k: e[k] for k in ("community_id", "changed", "changed_by")} for e in updated] == [
        {"community_id": made["id"], "changed": ["description", "charter.rules"], "changed_by": owner["user_id"]}
    ]
    assert updated[0]["access"]["settings"]["default_knowledge_level"] == "public"  # the snapshot after
    spaces.update_community(owner, made["id"], {"description": "For bakers"})  # nothing changes
    assert len(events(db, catalog.COMMUNITY_UPDATED, subject(made))) == 1
    page = spaces.list_changes(owner, made["id"], 2, None)
    assert [item["setting"] for item in page["items"]] == ["state", "description"]
    rest = spaces.list_changes(owner, made["id"], 10, page["next"])
    assert [item["setting"] for item in rest["items"]] == ["charter.rules"]


def test_updates_are_refused_properly(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner, state="live")
    taken = community()
    member = add_member(db, made["id"], "member")
    with pytest.raises(errors.PermissionDenied):
        spaces.update_community(member, made["id"], {"name": "Mine"})
    with pytest.raises(errors.NotFound):
        spaces.update_community(actor(), taken["id"], {"name": "Mine"})
    with pytest.raises(errors.InvalidInput) as invalid:
        spaces.update_community(owner, made["id"], {"kind": "project"})
    assert "kind" in invalid.value.extra["errors"]
    with pytest.raises(errors.InvalidInput):
        spaces.update_community(owner, made["id"], {"charter": {"validation": {"mode": "x"}}})
    with pytest.raises(errors.Conflict) as caught:
        spaces.update_community(owner, made["id"], {"slug": taken["slug"]})
    assert caught.value.code == "slug-taken"
    with pytest.raises(errors.PermissionDenied):
        spaces.list_changes(member, made["id"], 10, None)
    spaces.transition(owner, made["id"], "archived")
    with pytest.raises(errors.Conflict) as caught:
        spaces.update_community(owner, made["id"], {"name": "Again"})
    assert caught.value.code == "archived"


def test_section_validation(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner)
    with pytest.raises(errors.Conflict) as caught:
        spaces.validate_section(owner, made["id"], "roles")
    assert caught.value.code == "not-in-review"
    spaces.transition(owner, made["id"], "review")
    manager = add_member(db, made["id"], "manager")
    with pytest.raises(errors.PermissionDenied):
        spaces.validate_section(manager, made["id"], "roles")
    with pytest.raises(errors.InvalidInput):
        spaces.validate_section(owner, made["id"], "colours")
    review = spaces.validate_section(owner, made["id"], "roles")
    roles = next(s for s in review["sections"] if s["section"] == "roles")
    assert roles["validated"] is True
    assert roles["validated_by"] == owner["user_id"]
    assert review["complete"] is False


# -- lifecycle -------------------------------------------------------------------------------------


def test_the_whole_lifecycle_is_logged_and_recorded(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner)
    for to in ("review", "draft", "review"):
        assert spaces.transition(owner, made["id"], to, "why not")["state"] == to
    for section in SECTIONS:
        spaces.validate_section(owner, made["id"], section)
    for to in ("pilot", "draft"):
        assert spaces.transition(owner, made["id"], to)["state"] == to
    made = bring_to(spaces, owner, made, "archived")
    assert made["state"] == "archived"
    states = [
        tuple(row)
        for row in query(
            db,
            "SELECT before #>> '{}', after #>> '{}' FROM community_changes WHERE community_id = %s"
            " AND section = 'lifecycle' ORDER BY id",
            (made["id"],),
        )
    ]
    path = ["draft", "review", "draft", "review", "pilot", "draft", "review", "pilot", "live", "archived"]
    assert states == list(itertools.pairwise(path))
    recorded = events(db, catalog.COMMUNITY_STATE_CHANGED, subject(made))
    assert [(e["previous_state"], e["state"]) for e in recorded] == states
    assert recorded[0]["note"] == "why not"
    assert recorded[-1]["access"]["state"] == "archived"
    assert query(db, "SELECT state, revision FROM access_communities WHERE community_id = %s", (made["id"],)) == [
        ("archived", recorded[-1]["revision"])
    ]
    assert made["my_permissions"] == ["read", "view_insights"]
    with pytest.raises(errors.Conflict) as caught:
        spaces.transition(owner, made["id"], "live")
    assert caught.value.code == "archived"


def test_refused_transitions_say_what_is_allowed(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner)
    manager = add_member(db, made["id"], "manager")
    member = add_member(db, made["id"], "member")
    with pytest.raises(errors.Conflict) as caught:
        spaces.transition(owner, made["id"], "live")
    assert caught.value.extra == {"state": "draft", "allowed": ["review"], "code": "transition-not-allowed"}
    with pytest.raises(errors.PermissionDenied):
        spaces.transition(member, made["id"], "review")
    assert spaces.transition(manager, made["id"], "review")["state"] == "review"
    with pytest.raises(errors.Conflict) as caught:
        spaces.transition(owner, made["id"], "pilot")
    assert caught.value.code == "sections-not-validated"
    assert caught.value.extra["missing"] == list(SECTIONS)
    for section in SECTIONS:
        spaces.validate_section(owner, made["id"], section)
    with pytest.raises(errors.Conflict) as caught:
        spaces.transition(manager, made["id"], "pilot")
    assert caught.value.extra["allowed"] == ["draft"]
    assert spaces.transition(owner, made["id"], "pilot")["state"] == "pilot"
    with pytest.raises(errors.Conflict) as caught:
        spaces.transition(manager, made["id"], "live")
    assert caught.value.extra == {"state": "pilot", "allowed": [], "code": "transition-not-allowed"}
    with pytest.raises(errors.InvalidInput):
        spaces.transition(owner, made["id"], "sideways")


# -- pilot feedback --------------------------------------------------------------------------------


def test_feedback_during_the_pilot(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner, state="review")
    tester = add_member(db, made["id"], "member")
    with pytest.raises(errors.Conflict) as caught:
        spaces.give_feedback(tester, made["id"], "Too early")
    assert caught.value.code == "not-in-pilot"
    for section in SECTIONS:
        spaces.validate_section(owner, made["id"], section)
    spaces.transition(owner, made["id"], "pilot")
    first = spaces.give_feedback(tester, made["id"], "  Works well  ", 4)
    assert (first["message"], first["rating"], first["user_id"]) == ("Works well", 4, tester["user_id"])
    spaces.give_feedback(owner, made["id"], "Second")
    with pytest.raises(errors.InvalidInput):
        spaces.give_feedback(tester, made["id"], "Rated", 9)
    with pytest.raises(errors.NotFound):
        spaces.give_feedback(actor(), made["id"], "Outsider")
    with pytest.raises(errors.PermissionDenied):
        spaces.list_feedback(tester, made["id"], 10, None)
    page = spaces.list_feedback(owner, made["id"], 1, None)
    assert [item["message"] for item in page["items"]] == ["Works well"]
    rest = spaces.list_feedback(owner, made["id"], 10, page["next"])
    assert [item["message"] for item in rest["items"]] == ["Second"]


# -- roles -----------------------------------------------------------------------------------------


def test_roles_are_shown_to_members_only(spaces, actor, community):
    owner = actor("community_creator")
    made = community(owner=owner, state="live")
    roles = spaces.get_roles(owner, made["id"])
    assert roles["permissions"] == ALL
    assert roles["roles"][0] == {"name": "owner", "builtin": True, "permissions": ALL}
    assert {"name": "guest", "builtin": True, "permissions": ["read"]} in roles["roles"]
    with pytest.raises(errors.PermissionDenied):
        spaces.get_roles(actor(), made["id"])


def test_set_roles_replaces_the_matrix(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner, kind="interest")
    matrix = {role["name"]: role["permissions"] for role in spaces.get_roles(owner, made["id"])["roles"]}
    members_space = query(db, "SELECT id::text FROM spaces WHERE community_id = %s AND slug = 'members'", (made["id"],))
    members_space = members_space[0][0]
    new = {**matrix, "helper": ["comment", "read"], "owner": []}
    roles = spaces.set_roles(owner, made["id"], new)
    by_name = {role["name"]: role for role in roles["roles"]}
    assert by_name["helper"] == {"name": "helper", "builtin": False, "permissions": ["read", "comment"]}
    assert by_name["owner"]["permissions"] == ALL  # forced
    spaces.set_space_permissions(owner, members_space, False, {"helper": ["read"], "member": ["read"]})
    changed = events(db, catalog.ROLE_MATRIX_CHANGED, subject(made))
    assert changed[0]["space_id"] is None
    assert changed[0]["space_access"] is None
    assert changed[0]["community_access"]["matrix"]["helper"] == ["read", "comment"]
    stored = query(db, "SELECT matrix, revision FROM access_communities WHERE community_id = %s", (made["id"],))[0]
    assert stored[0]["helper"] == ["read", "comment"]
    rows = query(
        db, "SELECT section, setting FROM community_changes WHERE community_id = %s ORDER BY id", (made["id"],)
    )
    assert ("roles", "matrix") in rows
    # removing the role drops it from the override that names it
    spaces.set_roles(owner, made["id"], matrix)
    override = query(db, "SELECT matrix FROM spaces WHERE id = %s", (members_space,))[0][0]
    assert "helper" not in override
    assert override["member"] == ["read"]
    assert query(db, "SELECT matrix FROM access_spaces WHERE space_id = %s", (members_space,))[0][0] == override
    last = events(db, catalog.ROLE_MATRIX_CHANGED, subject(made))[-1]
    assert last["space_id"] == members_space
    assert last["community_access"] is None


def test_set_roles_refusals(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner)
    matrix = {role["name"]: role["permissions"] for role in spaces.get_roles(owner, made["id"])["roles"]}
    spaces.set_roles(owner, made["id"], {**matrix, "helper": ["read"]})
    add_member(db, made["id"], "helper")
    with pytest.raises(errors.Conflict) as caught:
        spaces.set_roles(owner, made["id"], matrix)
    assert caught.value.code == "role-in-use"
    assert caught.value.extra["members"] == 1
    without_guest = {role: perms for role, perms in matrix.items() if role != "guest"}
    with pytest.raises(errors.InvalidInput):
        spaces.set_roles(owner, made["id"], without_guest)
    with pytest.raises(errors.InvalidInput):
        spaces.set_roles(owner, made["id"], {**matrix, "Not Valid": ["read"]})
    member = add_member(db, made["id"], "member")
    with pytest.raises(errors.PermissionDenied):
        spaces.set_roles(member, made["id"], matrix)


# -- modules ---------------------------------------------------------------------------------------


def test_installed_modules(spaces):
    modules = spaces.list_modules()
    assert [m["name"] for m in modules] == ["courses", "documents", "forum", "meetings", "news", "press_review", "qa"]
    qa = next(m for m in modules if m["name"] == "qa")
    assert qa["content_types"] == ["question", "answer"]


def test_modules_of_a_community_and_of_a_space(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(owner=owner, kind="interest", state="review")
    spaces.validate_section(owner, made["id"], "modules")
    updated = spaces.set_modules(owner, made["id"], ["forum", "qa"])
    assert updated["modules"] == ["forum", "qa"]
    assert {s["section"]: s["validated"] for s in updated["review"]["sections"]}["modules"] is False
    changes = [(e["module"], e["space_id"]) for e in events(db, catalog.MODULE_ENABLED, subject(made))]
    assert changes == [("qa", None)]
    assert [e["module"] for e in events(db, catalog.MODULE_DISABLED, subject(made))] == ["news"]
    public = query(db, "SELECT id::text FROM spaces WHERE community_id = %s AND slug = 'public'", (made["id"],))[0][0]
    assert spaces.get_space(owner, public)["modules"] == ["forum", "qa"]  # inherits
    space = spaces.set_modules(owner, made["id"], ["news"], public)
    assert space["modules"] == ["news"]
    assert sorted(e["module"] for e in events(db, catalog.MODULE_DISABLED, subject(made)) if e["space_id"]) == [
        "forum",
        "qa",
    ]
    assert spaces.set_modules(owner, made["id"], None, public)["modules"] == ["forum", "qa"]
    with pytest.raises(errors.InvalidInput):
        spaces.set_modules(owner, made["id"], ["chess"])
    with pytest.raises(errors.InvalidInput):
        spaces.set_modules(owner, made["id"], None)
    other = community(owner=owner)
    with pytest.raises(errors.NotFound):
        spaces.set_modules(owner, other["id"], ["news"], public)
