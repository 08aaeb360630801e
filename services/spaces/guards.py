"""The spaces service's permission checks, on its own read model (``kernel.access.readmodel``).

Every entrypoint that touches a community or a space starts here:

```python
community, standing, readable = Guard(self.db).community(actor, community_id, "configure")
space, standing, permissions = Guard(self.db).space(actor, space_id, "configure")
```

A community or space the actor may not see does not exist for them: ``NotFound``. One they see but
may not act on: ``PermissionDenied`` naming the missing permission.
"""

from __future__ import annotations

from kernel import errors
from kernel.access import rules
from kernel.access.readmodel import AccessReadModel
from kernel.access.rules import CommunityAccess, SpaceAccess, Standing

NO_COMMUNITY = "No such community."
NO_SPACE = "No such space."


class Guard:
    def __init__(self, db):
        self.model = AccessReadModel(db)

    def community(
        self, actor, community_id, permission: str | None = None
    ) -> tuple[CommunityAccess, Standing, dict[str, frozenset[str]]]:
        """The visible community, the actor's standing and readable spaces; with ``permission``,
        the actor must hold it community-wide."""
        found = self.model.visible_community(actor, community_id)
        if found is None:
            raise errors.NotFound(NO_COMMUNITY, code="community-not-found")
        community, standing, readable = found
        if permission is not None:
            self.require(rules.community_permissions(community, standing), permission, community.state)
        return community, standing, readable

    def space(self, actor, space_id, permission: str | None = None) -> tuple[SpaceAccess, Standing, frozenset[str]]:
        """The visible space, the actor's standing in its community and their permissions there."""
        found = self.model.space_decision(actor, space_id)
        if found is None:
            raise errors.NotFound(NO_SPACE, code="space-not-found")
        space, standing, permissions = found
        if permission is not None:  # ``archived``: read-only, itself, by an ancestor or by its community
            self.require(permissions, permission, None if not space.archived else "archived")
        return space, standing, permissions

    @staticmethod
    def require(permissions: frozenset[str], permission: str, state: str | None = None) -> None:
        if permission in permissions:
            return
        if state == "archived" and permission not in rules.READ_ONLY:
            raise errors.Conflict("This is archived and read-only.", code="archived")
        raise errors.PermissionDenied(
            f"This needs the '{permission}' permission.", extra={"permission": permission}, code="missing-permission"
        )
