"""The spaces service: communities (charter, lifecycle, review), the tree of spaces, memberships,
roles and permission matrices, enabled modules (see docs/spaces.md).

The entrypoints live in mixins, one per concern: ``communities`` (communities, lifecycle, roles,
modules), ``tree`` (spaces), ``space_members`` (spaces that keep their own members) and
``membership`` (members and admissions). nameko collects
inherited entrypoints, so this class only names the service.
"""

from __future__ import annotations

from kernel.service import PlatformService
from services.spaces.communities import CommunityEntrypoints
from services.spaces.membership import MembershipEntrypoints
from services.spaces.space_members import SpaceMemberEntrypoints
from services.spaces.tree import TreeEntrypoints


class SpacesService(
    CommunityEntrypoints, TreeEntrypoints, SpaceMemberEntrypoints, MembershipEntrypoints, PlatformService
):
    name = "spaces"
