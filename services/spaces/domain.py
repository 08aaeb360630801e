"""The spaces service's rules, free of nameko and SQL (docs/spaces.md): the lifecycle and who may
move a community along it, which review section each setting belongs to and what a change
changed, what makes a permission matrix valid, slugs, and the rules of the space tree.

Rules that refuse raise ``kernel.errors`` exceptions (InvalidInput, Conflict, PermissionDenied)
with the codes the contract names; everything else returns plain values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kernel import errors
from kernel.access import rules
from kernel.access.rules import ALL_PERMISSIONS, BUILTIN_ROLES, PERMISSIONS

# -- review sections and settings ----------------------------------------------------------------

#: review sections, each with the settings it holds (as the change log names them)
SECTION_SETTINGS: dict[str, tuple[str, ...]] = {
    "identity": ("name", "slug", "description", "languages"),
    "objectives": ("charter.objectives",),
    "topics": ("charter.topics",),
    "rules": ("charter.rules",),
    "access": ("charter.access_mode", "charter.membership", "charter.organizations"),
    "content": ("charter.content_types", "charter.validation", "charter.default_knowledge_level"),
    "roles": ("matrix",),
    "modules": ("modules",),
}
SECTIONS = tuple(SECTION_SETTINGS)
SECTION_OF = {setting: section for section, settings in SECTION_SETTINGS.items() for setting in settings}
#: top-level community fields update_community may change (``kind`` never changes)
IDENTITY_FIELDS = SECTION_SETTINGS["identity"]
#: the change log's section for lifecycle transitions (not a review section)
LIFECYCLE = "lifecycle"


@dataclass(frozen=True)
class Change:
    """One setting that changed: a row of the change log."""

    section: str
    setting: str
    before: Any
    after: Any


def section_of(setting: str) -> str:
    """The review section a setting belongs to (``charter.rules`` → ``rules``)."""
    return SECTION_OF[setting]


def community_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[Change]:
    """What ``changes`` (a partial update: identity fields and ``charter`` keys) really changes in
    ``current`` (a community with its ``charter``), one ``Change`` per setting, in section order."""
    found = []
    for name in IDENTITY_FIELDS:
        if name in changes and _plain(changes[name]) != _plain(current[name]):
            found.append(Change("identity", name, _plain(current[name]), _plain(changes[name])))
    charter_changes = changes.get("charter") or {}
    for key, value in charter_changes.items():
        before = current["charter"].get(key)
        if _plain(value) != _plain(before):
            setting = f"charter.{key}"
            found.append(Change(section_of(setting), setting, before, value))
    order = {setting: i for i, setting in enumerate(SECTION_OF)}
    return sorted(found, key=lambda change: order[change.setting])


def touched_sections(changed: Iterable[Change]) -> list[str]:
    """The sections whose validation the changes clear, in section order."""
    sections = {change.section for change in changed}
    return [section for section in SECTIONS if section in sections]


def review(validations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The review of a community: every section, whether (and by whom, when) the owner validated it."""
    by_section = {row["section"]: row for row in validations}
    sections = [
        {
            "section": section,
            "validated": section in by_section,
            "validated_by": _text(by_section[section]["validated_by"]) if section in by_section else None,
            "validated_at": by_section[section]["validated_at"] if section in by_section else None,
        }
        for section in SECTIONS
    ]
    return {"sections": sections, "complete": all(item["validated"] for item in sections)}


def missing_sections(validated: Collection[str]) -> list[str]:
    return [section for section in SECTIONS if section not in validated]


# -- lifecycle -----------------------------------------------------------------------------------

OWNER = "owner"
CONFIGURE = "configure"
#: (from, to) → who may: ``configure`` (anyone holding it) or ``owner`` (the owner only)
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "review"): CONFIGURE,
    ("review", "draft"): CONFIGURE,
    ("review", "pilot"): OWNER,
    ("pilot", "draft"): OWNER,
    ("pilot", "live"): OWNER,
    ("live", "archived"): OWNER,
}


def _may(who: str, role: str | None, permissions: Collection[str]) -> bool:
    return role == OWNER if who == OWNER else CONFIGURE in permissions


def allowed_transitions(
    state: str, role: str | None, permissions: Collection[str], missing: Collection[str] = ()
) -> list[str]:
    """The states this caller may move the community to now, in lifecycle order (``review → pilot``
    only once every section is validated)."""
    allowed = [
        to
        for (origin, to), who in TRANSITIONS.items()
        if origin == state and _may(who, role, permissions) and not (to == "pilot" and missing)
    ]
    return [state for state in rules.STATES if state in allowed]


def check_transition(
    state: str, to: str, role: str | None, permissions: Collection[str], missing: Collection[str]
) -> None:
    """Raise unless this caller may move the community from ``state`` to ``to`` now.

    No ``configure`` → PermissionDenied; review → pilot with unvalidated sections → Conflict
    ``sections-not-validated`` (``missing``); any other refusal → Conflict ``transition-not-allowed``
    with the current ``state`` and the states the caller may move to (``allowed``).
    """
    if CONFIGURE not in permissions:
        raise errors.PermissionDenied(
            "Moving a community along its lifecycle needs the 'configure' permission.",
            extra={"permission": CONFIGURE},
            code="missing-permission",
        )
    who = TRANSITIONS.get((state, to))
    if who is not None and _may(who, role, permissions) and to == "pilot" and missing:
        raise errors.Conflict(
            "Every section must be validated before the pilot.",
            extra={"missing": list(missing)},
            code="sections-not-validated",
        )
    if who is None or not _may(who, role, permissions):
        raise errors.Conflict(
            f"A community in '{state}' cannot move to '{to}' by your hand.",
            extra={"state": state, "allowed": allowed_transitions(state, role, permissions, missing)},
            code="transition-not-allowed",
        )


# -- permission matrices -------------------------------------------------------------------------

ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
MAX_ROLES = 50


def canonical_matrix(matrix: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """The stored form: roles sorted, permissions in ``PERMISSIONS`` order, owner's row complete."""
    clean = rules.matrix_json(matrix)
    if "owner" in clean:
        clean["owner"] = list(PERMISSIONS)
    return clean


def _invalid(field: str, message: str) -> errors.InvalidInput:
    return errors.InvalidInput(message, extra={"errors": {field: [message]}})


def _check_rows(matrix: Mapping[str, Iterable[str]], field: str) -> None:
    for role, permissions in matrix.items():
        if role not in BUILTIN_ROLES and not ROLE_PATTERN.match(role):
            raise _invalid(field, f"'{role}' is not a valid role name (^[a-z][a-z0-9_-]{{1,39}}$).")
        unknown = set(permissions) - ALL_PERMISSIONS
        if unknown:
            raise _invalid(field, f"Unknown permissions for '{role}': {sorted(unknown)}.")
    if len(matrix) > MAX_ROLES:
        raise _invalid(field, f"A matrix has at most {MAX_ROLES} roles.")


def community_matrix(matrix: Mapping[str, Iterable[str]], field: str = "roles") -> dict[str, list[str]]:
    """A community's matrix checked: every built-in role present, custom names valid, the owner's
    row forced to every permission. Raises InvalidInput on ``field``."""
    _check_rows(matrix, field)
    absent = [role for role in BUILTIN_ROLES if role not in matrix]
    if absent:
        raise _invalid(field, f"Every built-in role must be present; missing: {', '.join(absent)}.")
    return canonical_matrix(matrix)


def space_matrix(matrix: Mapping[str, Iterable[str]], roles: Collection[str], field: str = "matrix") -> dict:
    """A space's override checked: it names only roles of the community; the owner's row is forced."""
    _check_rows(matrix, field)
    unknown = sorted(set(matrix) - set(roles))
    if unknown:
        raise _invalid(field, f"Not roles of this community: {', '.join(unknown)}.")
    return canonical_matrix({**matrix, "owner": PERMISSIONS})


def secured_default(community: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """The override of a secured space created without one: only the owner's and managers' rows."""
    return canonical_matrix({role: community.get(role, ()) for role in ("owner", "manager")})


def validation_roles(validation: Mapping[str, Any] | None) -> set[str]:
    """The roles a validation policy (a charter's or a space's) gives steps to, in every rule."""
    validation = validation or {}
    rules = [validation, *(validation.get("types") or {}).values()]
    return {step.get("role") for rule in rules for step in rule.get("steps") or ()}


def charter_roles(charter: Mapping[str, Any], spaces_validations: Iterable[Mapping[str, Any] | None] = ()) -> set[str]:
    """The roles a charter names: the default role of new members and each validation step's role
    (also in the policies of ``spaces_validations``)."""
    named = {charter.get("membership", {}).get("default_role")}
    named.update(validation_roles(charter.get("validation")))
    for validation in spaces_validations:
        named.update(validation_roles(validation))
    return {role for role in named if role}


def check_removed_roles(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    holders: Mapping[str, int],
    charter: Mapping[str, Any],
    spaces_validations: Iterable[Mapping[str, Any] | None] = (),
) -> list[str]:
    """The custom roles ``new`` drops from ``old``; raises Conflict ``role-in-use`` when a member
    still holds one (``holders``: members per role) or the charter (or a space's validation policy)
    names it."""
    removed = sorted(set(old) - set(new))
    named = charter_roles(charter, spaces_validations)
    for role in removed:
        if holders.get(role, 0) or role in named:
            raise errors.Conflict(
                f"The role '{role}' is still in use; give its members another role first.",
                extra={"role": role, "members": holders.get(role, 0), "in_charter": role in named},
                code="role-in-use",
            )
    return removed


def without_roles(matrix: Mapping[str, list[str]], removed: Collection[str]) -> dict[str, list[str]]:
    """A space override once ``removed`` roles no longer exist."""
    return {role: perms for role, perms in matrix.items() if role not in removed}


# -- charter -------------------------------------------------------------------------------------


def check_charter(charter: Mapping[str, Any], roles: Collection[str], content_types: Collection[str]) -> dict:
    """A whole charter checked against the community's roles and the installed content types;
    fills a co-optation's sponsors (2 by default). Raises InvalidInput on ``charter.<key>``."""
    clean = dict(charter)
    membership = dict(clean["membership"])
    if membership.get("default_role") not in roles or membership.get("default_role") == "owner":
        raise _invalid("charter.membership", f"'{membership.get('default_role')}' is not a role new members can get.")
    if membership["policy"] == "cooptation" and not membership.get("sponsors_required"):
        membership["sponsors_required"] = 2
    clean["membership"] = membership
    unknown = sorted(set(clean["content_types"]) - set(content_types))
    if unknown:
        raise _invalid("charter.content_types", f"No installed module brings: {', '.join(unknown)}.")
    check_validation(clean["validation"], roles, content_types, "charter.validation")
    return clean


def check_validation(
    validation: Mapping[str, Any], roles: Collection[str], content_types: Collection[str], field: str
) -> None:
    """A validation policy (the charter's, or a space's own) checked: each rule with a mode has steps
    unless ``none``, none without; steps name roles of the community; ``types`` are installed
    content types. Raises InvalidInput on ``field``."""
    rules = {"": validation, **{f" for '{name}'": rule for name, rule in (validation.get("types") or {}).items()}}
    for where, rule in rules.items():
        if rule.get("mode") == "none" and rule.get("steps"):
            raise _invalid(field, f"Without validation there are no steps{where}.")
        if rule.get("mode") not in (None, "none") and not rule.get("steps"):
            raise _invalid(field, f"Validation needs at least one step{where}.")
    stray = sorted(validation_roles(validation) - set(roles))
    if stray:
        raise _invalid(field, f"Not roles of this community: {', '.join(stray)}.")
    unknown = sorted(set(validation.get("types") or ()) - set(content_types))
    if unknown:
        raise _invalid(field, f"No installed module brings: {', '.join(unknown)}.")


def space_validation(clean: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a space stores of a checked ``SpaceValidation`` input: ``None`` when it inherits, else
    its own rule (``mode`` and ``steps``, when it has one) and ``types``."""
    if clean["inherit"]:
        return None
    own: dict[str, Any] = {"types": dict(clean.get("types") or {})}
    if clean.get("mode") is not None:
        own.update(mode=clean["mode"], steps=list(clean.get("steps") or []))
    return own


# -- modules -------------------------------------------------------------------------------------


def check_modules(modules: Iterable[str], installed: Collection[str], field: str = "modules") -> list[str]:
    """The modules without duplicates (order kept); InvalidInput when one is not installed."""
    chosen = list(dict.fromkeys(modules))
    unknown = [name for name in chosen if name not in installed]
    if unknown:
        raise _invalid(field, f"Unknown modules: {', '.join(unknown)}.")
    return chosen


def effective_modules(space_modules: Sequence[str] | None, community_modules: Sequence[str]) -> list[str]:
    """A space's modules: its own set, or (``None``) the community's."""
    return list(community_modules if space_modules is None else space_modules)


def module_differences(before: Sequence[str], after: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(enabled, disabled)`` going from ``before`` to ``after``, each sorted."""
    return sorted(set(after) - set(before)), sorted(set(before) - set(after))


# -- slugs ---------------------------------------------------------------------------------------

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX = 60


def slugify(text: str, fallback: str = "community") -> str:
    """Lowercase ASCII words joined by dashes (accents dropped), at most 60 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:SLUG_MAX].rstrip("-")
    return slug or fallback


def unique_slug(slug: str, taken: Collection[str]) -> str:
    """``slug``, or ``slug-2``, ``slug-3``... the first not in ``taken`` (compared lowercased)."""
    lowered = {item.lower() for item in taken}
    candidate, n = slug, 1
    while candidate.lower() in lowered:
        n += 1
        suffix = f"-{n}"
        candidate = slug[: SLUG_MAX - len(suffix)] + suffix
    return candidate


# -- the space tree ------------------------------------------------------------------------------


def check_move(space_id: str, parent_id: str | None, parents: Mapping[str, str | None]) -> None:
    """Raise Conflict ``space-cycle`` when ``parent_id`` is the space itself or inside its sub-tree.

    ``parents`` maps each space of the community to its parent (``None`` for a root).
    """
    current, seen = parent_id, set()
    while current is not None and current not in seen:
        if current == space_id:
            raise errors.Conflict(
                "A space cannot move under itself or one of its sub-spaces.",
                extra={"space_id": space_id, "parent_id": parent_id},
                code="space-cycle",
            )
        seen.add(current)
        current = parents.get(current)


def space_override(visibility: str, matrix: Mapping[str, Any] | None, community: Mapping[str, Any]) -> dict | None:
    """The override a space keeps: the given one; for a ``secured`` space without one, the
    owner's and managers' rows of the community (nobody else sees it until granted)."""
    if matrix is not None:
        return dict(matrix)
    if visibility == "secured":
        return secured_default(community)
    return None


def space_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The fields of a space (name, slug, description, visibility, own_members) ``changes`` really changes."""
    return [
        name
        for name in ("name", "slug", "description", "visibility", "own_members")
        if name in changes and changes[name] != current[name]
    ]


def ordered_permissions(permissions: Iterable[str]) -> list[str]:
    """Permissions as a list in the canonical ``PERMISSIONS`` order."""
    held = set(permissions)
    return [permission for permission in PERMISSIONS if permission in held]


def _plain(value: Any) -> Any:
    """Values as they compare and travel in JSON (tuples as lists)."""
    if isinstance(value, tuple):
        return list(value)
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
