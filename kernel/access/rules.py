"""Who may do what in a community's spaces: the platform's one decision, as pure rules.

``space_permissions(community, chain, standing)`` answers "what may this user do in this space?"
from facts every service keeps locally (``kernel.access.readmodel``, fed by the spaces service's
events): the community's state and permission matrix, the space and its ancestors, and the user's
standing (role, banned). No broker, no database, no clock: the same inputs give the same answer in
every service.

The rules, in order:

1. A community in ``draft``, ``review`` or ``pilot`` exists only for its members (owner, managers,
   the pilot group). ``live`` and ``archived`` communities are open to the rules below.
2. A banned user is, in that community, no more than an anonymous visitor.
3. To see a space one must see each of its ancestors (a child never shows more than its parent):
   - ``public``: anyone, signed in or not;
   - ``registered``: any signed-in user (not banned);
   - ``members``: a member whose role has ``read`` in the space's matrix;
   - ``secured``: a member whose role is granted ``read`` by a matrix set *on that space or a secured
     ancestor* (the community's own matrix grants nothing here); the owner always sees.
   A space one cannot see does not exist: ``None``, which callers answer with 404.
4. What one may do there is the role's row in the space's matrix: the nearest matrix set on the
   space or an ancestor (an override), else the community's. The owner's row is always every
   permission (a community cannot lock its owner out). Whoever sees a space may ``read`` it.
5. An archived space (or one under an archived space) and an archived community are read-only:
   only ``read`` and ``view_insights`` remain.
6. Children inherit membership too, unless a space keeps its own members (``own_members``): from
   that space down, a member's role is the one given to them there — none if they are not on its
   list — while the community's owners and managers keep theirs. Only community members count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PERMISSIONS = (
    "read",
    "post",
    "comment",
    "co_edit",
    "validate",
    "moderate",
    "invite",
    "manage_members",
    "configure",
    "view_insights",
)
BUILTIN_ROLES = ("owner", "manager", "moderator", "expert", "member", "guest")
VISIBILITIES = ("public", "registered", "members", "secured")
STATES = ("draft", "review", "pilot", "live", "archived")
#: states in which a community exists for non-members too
OPEN_STATES = frozenset({"live", "archived"})
#: what remains in an archived space or community
READ_ONLY = frozenset({"read", "view_insights"})
ALL_PERMISSIONS = frozenset(PERMISSIONS)

Matrix = Mapping[str, frozenset[str]]


def matrix_of(raw: Mapping[str, Iterable[str]] | None) -> Matrix | None:
    """A matrix as stored or carried in events (role -> list of permissions) as frozensets."""
    if raw is None:
        return None
    return {role: frozenset(perms) for role, perms in raw.items()}


def matrix_json(matrix: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """The JSON form of a matrix: each role's permissions in the canonical order."""
    return {role: [p for p in PERMISSIONS if p in set(perms)] for role, perms in sorted(matrix.items())}


@dataclass(frozen=True)
class Standing:
    """A user's standing in one community. ``signed_in=False`` is an anonymous visitor."""

    signed_in: bool
    role: str | None = None
    banned: bool = False

    @property
    def is_member(self) -> bool:
        return self.role is not None and not self.banned


ANONYMOUS = Standing(signed_in=False)


@dataclass(frozen=True)
class CommunityAccess:
    id: str
    state: str
    matrix: Matrix = field(default_factory=dict)
    #: what other services apply to its content (``CommunitySettingsSchema``: languages, modules, ...)
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SpaceAccess:
    id: str
    community_id: str
    parent_id: str | None
    visibility: str
    archived: bool = False
    matrix: Matrix | None = None  #: ``None``: the space inherits its parent's (or the community's) matrix
    own_members: bool = False  #: the space (and its sub-tree) has a member list of its own


#: community roles that keep their role in spaces with their own members
KEEP_ROLE_EVERYWHERE = frozenset({"owner", "manager"})


def role_permissions(matrix: Matrix, role: str | None) -> frozenset[str]:
    """The role's row; the owner's is always every permission, no role has none."""
    if role is None:
        return frozenset()
    if role == "owner":
        return ALL_PERMISSIONS
    return frozenset(matrix.get(role, ()))


def community_visible(community: CommunityAccess, standing: Standing, has_public_space: bool) -> bool:
    """Whether the community exists for this user (its name, description and charter)."""
    if standing.is_member:
        return True
    if community.state not in OPEN_STATES:
        return False
    if standing.signed_in and not standing.banned:
        return True
    return has_public_space  # anonymous visitors and banned users find it only through a public space


def community_permissions(community: CommunityAccess, standing: Standing) -> frozenset[str]:
    """What the user may do community-wide (invite, manage_members, configure, view_insights, ...)."""
    if not standing.is_member:
        return frozenset()
    permissions = role_permissions(community.matrix, standing.role)
    if community.state == "archived":
        permissions &= READ_ONLY
    return permissions


@dataclass(frozen=True)
class SpaceView:
    """One user's view of one space: their role there (rules 1, 2 and 6), what they may do (``None``
    in ``readable_spaces`` never appears: the space does not exist for them), whether it is
    read-only, and whether their role itself grants ``read`` (not only the space's visibility)."""

    space_id: str
    role: str | None
    permissions: frozenset[str]
    archived: bool
    member_reads: bool


def space_permissions(
    community: CommunityAccess,
    chain: Sequence[SpaceAccess],
    standing: Standing,
    space_roles: Mapping[str, str] | None = None,
) -> frozenset[str] | None:
    """What the user may do in the last space of ``chain`` (root first), or ``None`` if it does not
    exist for them. ``space_roles``: the user's roles in spaces that keep their own members."""
    view = space_view(community, chain, standing, space_roles)
    return None if view is None else view.permissions


def space_view(
    community: CommunityAccess,
    chain: Sequence[SpaceAccess],
    standing: Standing,
    space_roles: Mapping[str, str] | None = None,
) -> SpaceView | None:
    """The user's ``SpaceView`` of the last space of ``chain``, or ``None`` if it does not exist for them."""
    if not chain:
        return None
    community_role = standing.role if standing.is_member else None
    if community_role is None and community.state not in OPEN_STATES:
        return None
    role = community_role
    matrix: Matrix = community.matrix
    override: Matrix | None = None
    for space in chain:
        if space.own_members and community_role not in KEEP_ROLE_EVERYWHERE:
            role = None if community_role is None else (space_roles or {}).get(space.id)
        if space.matrix is not None:
            matrix = override = space.matrix
        if not _sees(space.visibility, role, standing, matrix, override):
            return None
    granted = role_permissions(matrix, role)
    permissions = granted | {"read"}
    archived = community.state == "archived" or any(space.archived for space in chain)
    if archived:
        permissions &= READ_ONLY
    return SpaceView(chain[-1].id, role, frozenset(permissions), archived, "read" in granted)


def _sees(visibility: str, role: str | None, standing: Standing, matrix: Matrix, override: Matrix | None) -> bool:
    if visibility == "public":
        return True
    if visibility == "registered":
        return standing.signed_in and not standing.banned
    if role is None:
        return False
    if visibility == "members":
        return "read" in role_permissions(matrix, role)
    if visibility == "secured":
        return role == "owner" or (override is not None and "read" in role_permissions(override, role))
    return False  # an unknown visibility shows nothing


def readable_spaces(
    community: CommunityAccess,
    spaces: Iterable[SpaceAccess],
    standing: Standing,
    space_roles: Mapping[str, str] | None = None,
) -> dict[str, frozenset[str]]:
    """Each space of the community the user may see, with what they may do there."""
    return {
        space_id: view.permissions for space_id, view in space_views(community, spaces, standing, space_roles).items()
    }


def space_views(
    community: CommunityAccess,
    spaces: Iterable[SpaceAccess],
    standing: Standing,
    space_roles: Mapping[str, str] | None = None,
) -> dict[str, SpaceView]:
    """The user's view of each space of the community they may see.

    ``spaces`` are all the community's spaces; each decision is ``space_view`` on the space's chain
    (a space whose chain is broken or cyclic is not shown).
    """
    by_id = {space.id: space for space in spaces}
    found: dict[str, SpaceView] = {}
    for space in by_id.values():
        chain = chain_of(space.id, by_id)
        if chain is None:
            continue
        view = space_view(community, chain, standing, space_roles)
        if view is not None:
            found[space.id] = view
    return found


def chain_of(space_id: str, by_id: Mapping[str, SpaceAccess]) -> list[SpaceAccess] | None:
    """The space and its ancestors, root first; ``None`` if a link is missing or loops."""
    chain: list[SpaceAccess] = []
    seen: set[str] = set()
    current: str | None = space_id
    while current is not None:
        if current in seen or current not in by_id:
            return None
        seen.add(current)
        space = by_id[current]
        chain.append(space)
        current = space.parent_id
    chain.reverse()
    return chain
