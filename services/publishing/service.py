"""The publishing service's nameko entrypoints (see ARCHITECTURE.md for what it owns).

It already keeps the local read model of who may do what (``kernel.access``) from the spaces
service's events, so that its content can be checked with ``may(self.db, actor, action, space_id)``
without an RPC per check.
"""

from kernel.access.readmodel import AccessProjection
from kernel.service import PlatformService


class PublishingService(AccessProjection, PlatformService):
    name = "publishing"
