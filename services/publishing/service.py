"""The publishing service: content items, their revisions, their validation workflow and the feeds
(docs/publishing.md; see ARCHITECTURE.md for what it owns).

It keeps the local read model of who may do what (``kernel.access``) from the spaces service's
events (``AccessProjection``, first so that its handler is the one nameko binds), and decides every
permission on it — no RPC per check. The entrypoints live in mixins, one per concern: ``contents``
(an item's life, its revisions, the scheduled publications), ``feeds`` (feeds and the
moderation queue), ``search`` (full-text search) and ``discussion`` (comments, reactions,
answers), ``courses`` (registrations and completions), ``moderation`` (reports, locks, crisis
mode, sanctions) and ``erasure`` (the ``user.erased``
handler); nameko collects inherited entrypoints, so this class only names the service.
"""

from __future__ import annotations

from kernel.access.readmodel import AccessProjection
from kernel.service import PlatformService
from services.publishing.contents import ContentEntrypoints
from services.publishing.courses import CourseEntrypoints
from services.publishing.discussion import DiscussionEntrypoints
from services.publishing.erasure import ErasureEntrypoints
from services.publishing.feeds import FeedEntrypoints
from services.publishing.moderation import ModerationEntrypoints
from services.publishing.search import SearchEntrypoints


class PublishingService(
    AccessProjection,
    ContentEntrypoints,
    FeedEntrypoints,
    SearchEntrypoints,
    DiscussionEntrypoints,
    CourseEntrypoints,
    ModerationEntrypoints,
    ErasureEntrypoints,
    PlatformService,
):
    name = "publishing"
