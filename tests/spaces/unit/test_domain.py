"""The spaces service's pure rules: lifecycle, sections and change diffs, matrices, charter,
modules, slugs and the space tree."""

from datetime import UTC, datetime

import pytest

from kernel import errors
from kernel.access.rules import PERMISSIONS
from services.spaces import domain, presets

ALL = frozenset(PERMISSIONS)
MANAGER = ALL
MEMBER = frozenset({"read", "post", "comment"})


# -- lifecycle -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "to", "role"),
    [
        ("draft", "review", "manager"),
        ("review", "draft", "manager"),
        ("review", "pilot", "owner"),
        ("pilot", "draft", "owner"),
        ("pilot", "live", "owner"),
        ("live", "archived", "owner"),
    ],
)
def test_allowed_transitions_pass(state, to, role):
    domain.check_transition(state, to, role, ALL, missing=[])


@pytest.mark.parametrize(
    ("state", "to"), [("review", "pilot"), ("pilot", "live"), ("pilot", "draft"), ("live", "archived")]
)
def test_owner_only_transitions_refuse_a_manager_with_what_they_may_do(state, to):
    with pytest.raises(errors.Conflict) as caught:
        domain.check_transition(state, to, "manager", MANAGER, missing=[])
    assert caught.value.code == "transition-not-allowed"
    assert caught.value.extra["state"] == state
    assert caught.value.extra["allowed"] == (["draft"] if state == "review" else [])


def test_unknown_transitions_list_the_allowed_states():
    with pytest.raises(errors.Conflict) as caught:
        domain.check_transition("draft", "live", "owner", ALL, missing=[])
    assert caught.value.extra == {"state": "draft", "allowed": ["review"], "code": "transition-not-allowed"}
    with pytest.raises(errors.Conflict) as caught:
        domain.check_transition("pilot", "review", "owner", ALL, missing=[])
    assert caught.value.extra["allowed"] == ["draft", "live"]


def test_without_configure_it_is_forbidden():
    with pytest.raises(errors.PermissionDenied):
        domain.check_transition("draft", "review", "member", MEMBER, missing=[])


def test_pilot_needs_every_section_validated():
    with pytest.raises(errors.Conflict) as caught:
        domain.check_transition("review", "pilot", "owner", ALL, missing=["roles", "modules"])
    assert caught.value.code == "sections-not-validated"
    assert caught.value.extra["missing"] == ["roles", "modules"]
    assert domain.allowed_transitions("review", "owner", ALL, missing=["roles"]) == ["draft"]
    assert domain.allowed_transitions("review", "owner", ALL, missing=[]) == ["draft", "pilot"]


def test_nothing_leaves_archived():
    assert domain.allowed_transitions("archived", "owner", ALL) == []


# -- sections and change diffs ---------------------------------------------------------------------


def test_every_setting_has_its_section():
    assert domain.section_of("name") == "identity"
    assert domain.section_of("charter.membership") == "access"
    assert domain.section_of("charter.validation") == "content"
    assert domain.section_of("matrix") == "roles"
    assert domain.section_of("modules") == "modules"
    assert domain.SECTIONS == ("identity", "objectives", "topics", "rules", "access", "content", "roles", "modules")


def test_community_changes_lists_only_what_changed():
    current = {
        "name": "A",
        "slug": "a",
        "description": "",
        "languages": ["en"],
        "charter": presets.preset_for("interest").charter,
    }
    changes = {
        "name": "A",
        "description": "New",
        "languages": ("en", "fr"),
        "charter": {"rules": "Be kind", "topics": [], "access_mode": "open"},
    }
    found = domain.community_changes(current, changes)
    assert [(c.section, c.setting, c.before, c.after) for c in found] == [
        ("identity", "description", "", "New"),
        ("identity", "languages", ["en"], ["en", "fr"]),
        ("rules", "charter.rules", "", "Be kind"),
        ("access", "charter.access_mode", "mixed", "open"),
    ]
    assert domain.touched_sections(found) == ["identity", "rules", "access"]
    assert domain.community_changes(current, {"name": "A", "charter": {"topics": []}}) == []


def test_review_lists_every_section():
    at = datetime(2026, 1, 2, tzinfo=UTC)
    review = domain.review([{"section": "roles", "validated_by": "u1", "validated_at": at}])
    assert [s["section"] for s in review["sections"]] == list(domain.SECTIONS)
    roles = next(s for s in review["sections"] if s["section"] == "roles")
    assert roles == {"section": "roles", "validated": True, "validated_by": "u1", "validated_at": at}
    assert review["complete"] is False
    everything = [{"section": s, "validated_by": "u", "validated_at": at} for s in domain.SECTIONS]
    assert domain.review(everything)["complete"] is True
    assert domain.missing_sections({"identity", "roles"}) == [
        "objectives",
        "topics",
        "rules",
        "access",
        "content",
        "modules",
    ]


# -- matrices --------------------------------------------------------------------------------------


def builtin_matrix(**extra):
    return {**presets.preset_for("interest").matrix, **extra}


def test_community_matrix_needs_every_builtin_role():
    matrix = builtin_matrix()
    del matrix["guest"]
    with pytest.raises(errors.InvalidInput) as caught:
        domain.community_matrix(matrix)
    assert "guest" in caught.value.extra["errors"]["roles"][0]


@pytest.mark.parametrize("name", ["X", "a", "1role", "role with space", "r" * 41])
def test_custom_role_names_follow_the_pattern(name):
    with pytest.raises(errors.InvalidInput):
        domain.community_matrix(builtin_matrix(**{name: ["read"]}))


def test_owner_row_is_forced_and_permissions_ordered():
    matrix = domain.community_matrix(builtin_matrix(owner=[], helper=["comment", "read"]))
    assert matrix["owner"] == list(PERMISSIONS)
    assert matrix["helper"] == ["read", "comment"]


def test_unknown_permissions_are_refused():
    with pytest.raises(errors.InvalidInput):
        domain.community_matrix(builtin_matrix(member=["read", "fly"]))


def test_a_custom_role_still_held_cannot_go():
    old = builtin_matrix(helper=["read"], scout=["read"])
    new = builtin_matrix(scout=["read"])
    charter = presets.preset_for("interest").charter
    with pytest.raises(errors.Conflict) as caught:
        domain.check_removed_roles(old, new, {"helper": 2}, charter)
    assert caught.value.code == "role-in-use"
    assert caught.value.extra["members"] == 2
    assert domain.check_removed_roles(old, new, {"helper": 0, "member": 4}, charter) == ["helper"]


def test_a_role_the_charter_names_cannot_go():
    preset = presets.preset_for("project")
    new = {role: perms for role, perms in preset.matrix.items() if role != "reviewer"}
    with pytest.raises(errors.Conflict) as caught:
        domain.check_removed_roles(preset.matrix, new, {}, preset.charter)
    assert caught.value.extra["in_charter"] is True


def test_space_matrix_names_only_roles_of_the_community():
    roles = builtin_matrix()
    assert domain.space_matrix({"member": ["read"]}, roles) == {"member": ["read"], "owner": list(PERMISSIONS)}
    with pytest.raises(errors.InvalidInput):
        domain.space_matrix({"lead": ["read"]}, roles)


def test_secured_default_keeps_owner_and_manager_rows():
    matrix = builtin_matrix(manager=["read", "configure"])
    assert domain.space_override("secured", None, matrix) == {
        "manager": ["read", "configure"],
        "owner": list(PERMISSIONS),
    }
    assert domain.space_override("members", None, matrix) is None
    given = {"member": ["read"]}
    assert domain.space_override("secured", given, matrix) == given


def test_without_roles_drops_removed_roles_from_an_override():
    assert domain.without_roles({"owner": ["read"], "helper": ["read"]}, ["helper"]) == {"owner": ["read"]}


# -- charter ---------------------------------------------------------------------------------------

KNOWN_TYPES = {"news", "topic", "question", "answer", "document", "meeting"}


def test_charter_default_role_must_exist():
    preset = presets.preset_for("interest")
    charter = {**preset.charter, "membership": {**preset.charter["membership"], "default_role": "lead"}}
    with pytest.raises(errors.InvalidInput) as caught:
        domain.check_charter(charter, preset.matrix, KNOWN_TYPES)
    assert "charter.membership" in caught.value.extra["errors"]


def test_cooptation_gets_two_sponsors_by_default():
    preset = presets.preset_for("interest")
    charter = {**preset.charter, "membership": {**preset.charter["membership"], "policy": "cooptation"}}
    assert domain.check_charter(charter, preset.matrix, KNOWN_TYPES)["membership"]["sponsors_required"] == 2


def test_charter_content_types_and_validation_steps_are_checked():
    preset = presets.preset_for("interest")
    with pytest.raises(errors.InvalidInput):
        domain.check_charter({**preset.charter, "content_types": ["poem"]}, preset.matrix, KNOWN_TYPES)
    steps = {"mode": "multi_step", "steps": [{"name": "x", "role": "reviewer"}]}
    with pytest.raises(errors.InvalidInput):
        domain.check_charter({**preset.charter, "validation": steps}, preset.matrix, KNOWN_TYPES)
    with pytest.raises(errors.InvalidInput):
        domain.check_charter(
            {**preset.charter, "validation": {"mode": "pre_moderation", "steps": []}}, preset.matrix, KNOWN_TYPES
        )


def test_validation_rules_per_type_are_checked_like_the_default():
    roles = {"owner", "manager", "member", "expert"}
    expert = [{"name": "x", "role": "expert"}]
    good = {"mode": "none", "steps": [], "types": {"document": {"mode": "multi_step", "steps": expert}}}
    domain.check_validation(good, roles, KNOWN_TYPES, "charter.validation")
    bad = [
        {"mode": "none", "types": {"poem": {"mode": "none", "steps": []}}},  # not an installed type
        {"mode": "none", "types": {"news": {"mode": "pre_moderation", "steps": []}}},  # no step
        {"mode": "none", "types": {"news": {"mode": "none", "steps": expert}}},  # steps without validation
        {"mode": "none", "types": {"news": {"mode": "multi_step", "steps": [{"name": "x", "role": "lead"}]}}},
    ]
    for validation in bad:
        with pytest.raises(errors.InvalidInput) as caught:
            domain.check_validation(validation, roles, KNOWN_TYPES, "validation")
        assert "validation" in caught.value.extra["errors"]


def test_a_space_stores_its_own_rule_or_nothing():
    assert domain.space_validation({"inherit": True, "mode": None, "steps": [], "types": {}}) is None
    typed = {"inherit": False, "mode": None, "steps": [], "types": {"news": {"mode": "none", "steps": []}}}
    assert domain.space_validation(typed) == {"types": {"news": {"mode": "none", "steps": []}}}
    own = {"inherit": False, "mode": "pre_moderation", "steps": [{"name": "x", "role": "expert"}], "types": {}}
    assert domain.space_validation(own) == {
        "types": {},
        "mode": "pre_moderation",
        "steps": [{"name": "x", "role": "expert"}],
    }


def test_a_role_named_by_a_space_validation_step_cannot_be_removed():
    old = {"owner": [], "member": [], "lead": []}
    space = {"types": {"document": {"mode": "multi_step", "steps": [{"name": "x", "role": "lead"}]}}}
    charter = {"membership": {"default_role": "member"}, "validation": {"mode": "none", "steps": []}}
    assert domain.check_removed_roles(old, {"owner": [], "member": []}, {}, charter) == ["lead"]
    with pytest.raises(errors.Conflict):
        domain.check_removed_roles(old, {"owner": [], "member": []}, {}, charter, [space])


# -- modules ---------------------------------------------------------------------------------------


def test_modules_checked_and_deduplicated():
    assert domain.check_modules(["qa", "forum", "qa"], {"qa", "forum"}) == ["qa", "forum"]
    with pytest.raises(errors.InvalidInput):
        domain.check_modules(["chess"], {"qa"})


def test_effective_modules_and_differences():
    assert domain.effective_modules(None, ["news"]) == ["news"]
    assert domain.effective_modules([], ["news"]) == []
    assert domain.module_differences(["news", "forum"], ["forum", "qa"]) == (["qa"], ["news"])


# -- slugs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Cuisine Française", "cuisine-francaise"),
        ("  Hello,   World!  ", "hello-world"),
        ("日本", "community"),
        ("a" * 80, "a" * 60),
    ],
)
def test_slugify(name, slug):
    assert domain.slugify(name) == slug


def test_unique_slug():
    assert domain.unique_slug("general", {"other"}) == "general"
    assert domain.unique_slug("general", {"General", "general-2"}) == "general-3"


# -- the tree --------------------------------------------------------------------------------------


def test_moves_into_the_own_subtree_are_cycles():
    parents = {"a": None, "b": "a", "c": "b", "d": None}
    for target in ("a", "b", "c"):
        with pytest.raises(errors.Conflict) as caught:
            domain.check_move("a", target, parents)
        assert caught.value.code == "space-cycle"
    domain.check_move("b", "d", parents)
    domain.check_move("c", None, parents)
    domain.check_move("b", "a", parents)


def test_space_changes():
    current = {"name": "A", "slug": "a", "description": "", "visibility": "public"}
    assert domain.space_changes(current, {"name": "A", "visibility": "members"}) == ["visibility"]
