"""What a new community starts with, by kind: its charter, permission matrix, modules and first
spaces (the presets table of docs/spaces.md). Pure data and functions: the creator may override any
default at creation (``create_community``) or later.

```python
preset = preset_for("practice")                      # charter, matrix, modules
seeds = first_spaces("mixed", preset.matrix, [])     # the spaces to create, roots first
```
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kernel.access.rules import PERMISSIONS
from services.spaces import domain

ALL = list(PERMISSIONS)
MODERATOR = ["read", "post", "comment", "co_edit", "moderate", "view_insights"]
EXPERT = ["read", "post", "comment", "co_edit", "validate"]
MEMBER = ["read", "post", "comment"]
CONTRIBUTOR = ["read", "post", "comment", "co_edit"]
GUEST = ["read"]
#: the project kind's own roles
PROJECT_ROLES = {
    "lead": ["read", "post", "comment", "co_edit", "validate", "invite", "manage_members", "view_insights"],
    "contributor": CONTRIBUTOR,
    "reviewer": ["read", "comment", "validate"],
    "observer": ["read"],
}


@dataclass(frozen=True)
class Preset:
    """A kind's defaults. ``charter`` and ``matrix`` are fresh copies: callers may change them."""

    kind: str
    charter: dict[str, Any]
    matrix: dict[str, list[str]]
    modules: list[str]


@dataclass(frozen=True)
class SpaceSeed:
    """A space to create with a new community; ``parent`` is the index of an earlier seed."""

    name: str
    slug: str
    visibility: str
    matrix: dict[str, list[str]] | None = None
    parent: int | None = None
    description: str = ""


def _membership(policy: str, default_role: str, sponsors_required: int | None = None) -> dict[str, Any]:
    return {
        "policy": policy,
        "sponsors_required": sponsors_required,
        "default_role": default_role,
        "conditions": "",
        "criteria": {"questions": [], "attestations": []},
    }


def _charter(access_mode, membership, content_types, validation, knowledge_level) -> dict[str, Any]:
    return {
        "objectives": {"organization": "", "member": ""},
        "topics": [],
        "rules": "",
        "access_mode": access_mode,
        "membership": membership,
        "content_types": content_types,
        "validation": validation,
        "default_knowledge_level": knowledge_level,
        "organizations": [],
    }


_PRESETS: dict[str, Preset] = {
    "interest": Preset(
        "interest",
        _charter("mixed", _membership("open", "member"), ["news", "topic"], {"mode": "none", "steps": []}, "public"),
        {"manager": ALL, "moderator": MODERATOR, "expert": EXPERT, "member": MEMBER, "guest": GUEST},
        ["news", "forum"],
    ),
    "practice": Preset(
        "practice",
        _charter(
            "authorized",
            _membership("cooptation", "member", sponsors_required=2),
            ["question", "answer", "topic", "document"],
            {"mode": "pre_moderation", "steps": [{"name": "expert review", "role": "expert"}]},
            "extended",
        ),
        {"manager": ALL, "moderator": MODERATOR, "expert": EXPERT, "member": CONTRIBUTOR, "guest": GUEST},
        ["qa", "forum", "documents"],
    ),
    "project": Preset(
        "project",
        _charter(
            "authorized",
            _membership("invitation", "contributor"),
            ["document", "meeting"],
            {
                "mode": "multi_step",
                "steps": [{"name": "review", "role": "reviewer"}, {"name": "approval", "role": "lead"}],
            },
            "confidential",
        ),
        {
            "manager": ALL,
            "moderator": MODERATOR,
            "expert": EXPERT,
            "member": CONTRIBUTOR,
            "guest": GUEST,
            **PROJECT_ROLES,
        },
        ["documents", "meetings"],
    ),
}
KINDS = tuple(_PRESETS)


def preset_for(kind: str) -> Preset:
    """The defaults of ``kind`` (one of ``KINDS``), as a copy the caller may change. The matrix has
    every built-in role, the owner's row being every permission."""
    base = _PRESETS[kind]
    matrix = {"owner": ALL, **base.matrix}
    return Preset(kind, copy.deepcopy(base.charter), domain.canonical_matrix(matrix), list(base.modules))


def first_spaces(
    access_mode: str, matrix: Mapping[str, Sequence[str]], work_packages: Sequence[str] = ()
) -> list[SpaceSeed]:
    """The spaces a new community starts with, parents before children.

    ``open`` → a public root "General"; ``authorized`` → a members-only root "Members"; ``mixed`` →
    a public root "Public" and a secured root "Members" whose override is the community matrix
    without ``guest``. Each work package becomes a child (inheriting) of the non-public root.
    """
    if access_mode == "open":
        seeds = [SpaceSeed("General", "general", "public")]
    elif access_mode == "authorized":
        seeds = [SpaceSeed("Members", "members", "members")]
    else:
        secured = domain.canonical_matrix({role: perms for role, perms in matrix.items() if role != "guest"})
        seeds = [SpaceSeed("Public", "public", "public"), SpaceSeed("Members", "members", "secured", matrix=secured)]
    root = next((i for i, seed in enumerate(seeds) if seed.visibility != "public"), 0)
    taken = {seed.slug for seed in seeds}
    for name in work_packages:
        slug = domain.unique_slug(domain.slugify(name, fallback="work-package"), taken)
        taken.add(slug)
        seeds.append(SpaceSeed(name, slug, "members", parent=root))
    return seeds
