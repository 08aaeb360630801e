"""The kind presets (docs/spaces.md's table): charter, matrix, modules and first spaces."""

import pytest

from kernel.access.rules import BUILTIN_ROLES, PERMISSIONS
from services.spaces import presets
from services.spaces.plugins import content_types, installed_modules


@pytest.mark.parametrize(
    ("kind", "access_mode", "policy", "modules", "content", "mode", "level", "default_role"),
    [
        ("interest", "mixed", "open", ["news", "forum"], ["news", "topic"], "none", "public", "member"),
        (
            "practice",
            "authorized",
            "cooptation",
            ["qa", "forum", "documents"],
            ["question", "answer", "topic", "document"],
            "pre_moderation",
            "extended",
            "member",
        ),
        (
            "project",
            "authorized",
            "invitation",
            ["documents", "meetings"],
            ["document", "meeting"],
            "multi_step",
            "confidential",
            "contributor",
        ),
    ],
)
def test_each_kind_fills_the_charter_and_modules(
    kind, access_mode, policy, modules, content, mode, level, default_role
):
    preset = presets.preset_for(kind)
    charter = preset.charter
    assert charter["access_mode"] == access_mode
    assert charter["membership"]["policy"] == policy
    assert charter["membership"]["default_role"] == default_role
    assert preset.modules == modules
    assert charter["content_types"] == content
    assert charter["validation"]["mode"] == mode
    assert charter["default_knowledge_level"] == level
    assert set(preset.modules) <= set(installed_modules())
    assert set(charter["content_types"]) <= content_types()


def test_practice_needs_two_sponsors_and_an_expert_review():
    charter = presets.preset_for("practice").charter
    assert charter["membership"]["sponsors_required"] == 2
    assert charter["validation"]["steps"] == [{"name": "expert review", "role": "expert"}]


def test_project_validation_steps_and_roles():
    preset = presets.preset_for("project")
    assert preset.charter["validation"]["steps"] == [
        {"name": "review", "role": "reviewer"},
        {"name": "approval", "role": "lead"},
    ]
    assert preset.matrix["lead"] == [
        "read", "post", "comment", "co_edit", "validate", "invite", "manage_members", "view_insights",
    ]  # fmt: skip
    assert preset.matrix["contributor"] == ["read", "post", "comment", "co_edit"]
    assert preset.matrix["reviewer"] == ["read", "comment", "validate"]
    assert preset.matrix["observer"] == ["read"]


@pytest.mark.parametrize("kind", presets.KINDS)
def test_every_matrix_has_the_builtin_roles_and_a_complete_owner(kind):
    matrix = presets.preset_for(kind).matrix
    assert set(BUILTIN_ROLES) <= set(matrix)
    assert matrix["owner"] == list(PERMISSIONS)
    assert matrix["manager"] == list(PERMISSIONS)
    assert matrix["moderator"] == ["read", "post", "comment", "co_edit", "moderate", "view_insights"]
    assert matrix["expert"] == ["read", "post", "comment", "co_edit", "validate"]
    assert matrix["guest"] == ["read"]


def test_members_co_edit_in_practice_and_project_only():
    assert presets.preset_for("interest").matrix["member"] == ["read", "post", "comment"]
    assert presets.preset_for("practice").matrix["member"] == ["read", "post", "comment", "co_edit"]
    assert presets.preset_for("project").matrix["member"] == ["read", "post", "comment", "co_edit"]
    assert "lead" not in presets.preset_for("practice").matrix


def test_presets_are_copies():
    first = presets.preset_for("interest")
    first.charter["topics"].append("changed")
    first.matrix["guest"].append("post")
    again = presets.preset_for("interest")
    assert again.charter["topics"] == []
    assert again.matrix["guest"] == ["read"]


def test_open_access_starts_with_a_public_general_space():
    seeds = presets.first_spaces("open", presets.preset_for("interest").matrix)
    assert [(s.name, s.slug, s.visibility, s.matrix, s.parent) for s in seeds] == [
        ("General", "general", "public", None, None)
    ]


def test_authorized_access_starts_with_a_members_space():
    seeds = presets.first_spaces("authorized", presets.preset_for("practice").matrix)
    assert [(s.name, s.visibility, s.matrix) for s in seeds] == [("Members", "members", None)]


def test_mixed_access_has_a_public_root_and_a_secured_root_without_guests():
    matrix = presets.preset_for("interest").matrix
    public, members = presets.first_spaces("mixed", matrix)
    assert (public.name, public.visibility, public.matrix) == ("Public", "public", None)
    assert (members.name, members.visibility) == ("Members", "secured")
    assert members.matrix == {role: perms for role, perms in matrix.items() if role != "guest"}


def test_work_packages_are_children_of_the_members_root_with_distinct_slugs():
    matrix = presets.preset_for("project").matrix
    seeds = presets.first_spaces("authorized", matrix, ["Design", "Design", "Étude"])
    assert [(s.name, s.slug, s.parent, s.matrix) for s in seeds[1:]] == [
        ("Design", "design", 0, None),
        ("Design", "design-2", 0, None),
        ("Étude", "etude", 0, None),
    ]
    mixed = presets.first_spaces("mixed", matrix, ["WP"])
    assert mixed[-1].parent == 1  # under "Members", not the public root
