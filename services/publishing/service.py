"""The publishing service: content items, their revisions, their validation workflow and the feeds
(docs/publishing.md; see ARCHITECTURE.md for what it owns).

It keeps the local read model of who may do what (``kernel.access``) from the spaces service's
events (``AccessProjection``, first so that its handler is the one nameko binds), and decides every
permission on it — no RPC per check. The entrypoints live in mixins, one per concern: ``contents``
(an item's life, its revisions, the scheduled publications) and ``feeds`` (feeds and the
moderation queue); nameko collects inherited entrypoints, so this class only names the service.
"""

from __future__ import annotations

from kernel.access.readmodel import AccessProjection
from kernel.service import PlatformService
from services.publishing.contents import ContentEntrypoints
from services.publishing.feeds import FeedEntrypoints


class PublishingService(AccessProjection, ContentEntrypoints, FeedEntrypoints, PlatformService):
    name = "publishing"
