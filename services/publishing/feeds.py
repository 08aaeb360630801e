"""Feed entrypoints of the publishing service: a space's, a community's and a member's feed (newest
published items first) and the moderation queue (items waiting for the caller's decision, oldest
first) — docs/publishing.md, "Feeds".

Every list is one keyset query whose WHERE holds the caller's visibility (``visibility.Reader``):
knowledge levels and readable spaces are filtered by the database, so pages are full and nothing
one may not read is fetched. Positions: ``{published_at, id}`` for feeds, ``{updated_at, id}`` for
the queue.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kernel import errors, paging
from kernel.access.readmodel import AccessReadModel
from kernel.entrypoints import rpc
from kernel.inputs import uuid_or_none
from services.publishing.contents import Desk, reader_of, signed_in
from services.publishing.visibility import Reader

NO_SPACE = "No such space."
NO_COMMUNITY = "No such community."


class FeedEntrypoints(Desk):
    """Mixed into ``PublishingService``."""

    @rpc
    def space_feed(self, actor, space_id, limit=20, after=None):
        """*anon* The space's published items the caller reads, newest first; NotFound when the
        space does not exist for them."""
        caller = reader_of(actor)
        limit = paging.check_limit(limit)
        position = paging.position(after, published_at=datetime, id=uuid.UUID)
        found = AccessReadModel(self.db).space_decision(caller, space_id)
        if found is None:
            raise errors.NotFound(NO_SPACE, code="space-not-found")
        space = found[0]
        reader = self.visibility.reader(caller, [space.community_id])
        rows = self.contents.feed("space", [space.id], reader.published(), limit + 1, position)
        return self._page(rows, reader, limit)

    @rpc
    def community_feed(self, actor, community_id, limit=20, after=None):
        """*anon* The published items the caller reads in the community's spaces, newest first;
        NotFound when the community does not exist for them."""
        caller = reader_of(actor)
        limit = paging.check_limit(limit)
        position = paging.position(after, published_at=datetime, id=uuid.UUID)
        key = uuid_or_none(community_id)
        if key is None:
            raise errors.NotFound(NO_COMMUNITY, code="community-not-found")
        reader, rows = self.visibility.read(
            caller, [key], lambda r: self.contents.feed("community", [key], r.published(), limit + 1, position)
        )
        if not reader.sees_community(key):
            raise errors.NotFound(NO_COMMUNITY, code="community-not-found")
        return self._page(rows, reader, limit)

    @rpc
    def my_feed(self, actor, limit=20, after=None):
        """The published items the caller reads across the communities they are a member of."""
        caller = signed_in(actor)
        limit = paging.check_limit(limit)
        position = paging.position(after, published_at=datetime, id=uuid.UUID)

        def fetch(reader: Reader) -> list[dict]:
            communities = list(reader.communities)
            if not communities:
                return []
            return self.contents.feed("community", communities, reader.published(), limit + 1, position)

        reader, rows = self.visibility.read(caller, None, fetch)
        return self._page(rows, reader, limit)

    @rpc
    def moderation_queue(self, actor, community_id, limit=20, after=None):
        """The community's submitted and in-review items whose current decision the caller may take,
        oldest first (empty for who decides nothing); NotFound when the community does not exist
        for them."""
        caller = signed_in(actor)
        limit = paging.check_limit(limit)
        position = paging.position(after, updated_at=datetime, id=uuid.UUID)
        community_id, reader = self._community_reader(caller, community_id)
        rows = self.contents.waiting(community_id, reader.waiting(), limit + 1, position)
        result = paging.page(
            rows, limit, lambda row: {"updated_at": row["updated_at"].isoformat(), "id": str(row["id"])}
        )
        return {"items": [self.view(row, reader) for row in result["items"]], "next": result["next"]}

    # -- helpers ---------------------------------------------------------------------------------------

    def _community_reader(self, caller, community_id: Any) -> tuple[str, Reader]:
        """The community's id and the caller's ``Reader`` there; NotFound when the community does
        not exist for them."""
        key = uuid_or_none(community_id)
        reader = self.visibility.reader(caller, [] if key is None else [key])
        if key is None or not reader.sees_community(key):
            raise errors.NotFound(NO_COMMUNITY, code="community-not-found")
        return key, reader

    def _page(self, rows: list[dict], reader: Reader, limit: int) -> dict:
        result = paging.page(
            rows, limit, lambda row: {"published_at": row["published_at"].isoformat(), "id": str(row["id"])}
        )
        return {"items": self.cards(result["items"], reader), "next": result["next"]}
