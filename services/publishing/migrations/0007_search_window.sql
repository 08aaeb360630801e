-- Search ranks the newest matches only (docs/publishing.md, "Search"; services/publishing/search.py):
-- its inner query is `... ORDER BY published_at DESC, id DESC LIMIT 1000`. Within a community or a space
-- the feed indexes (0001: contents_community_feed, contents_space_feed) give that order; this one gives
-- it across communities (a search without a community or space), so for a common word the planner
-- walks the newest published items until it has the window instead of sorting every match.
CREATE INDEX contents_published ON contents (published_at DESC, id DESC) WHERE state = 'published' AND NOT hidden;
