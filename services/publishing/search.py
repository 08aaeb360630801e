"""Search entrypoint of the publishing service: PostgreSQL full-text search over the published items
the caller reads (docs/publishing.md, "Search").

Each item is indexed in its community's first language (``migrations/0003_search.sql``: the
``search_config`` and weighted ``search`` columns, kept by a trigger). A query is parsed with
``websearch_to_tsquery`` in each row's own configuration, so "mangeons" finds "manger" in a French
community and "running" finds "runs" in an English one; results are ranked with ``ts_rank_cd``
(title matches weigh more: weight A against B for the body), then newest first.

Relevance ranks the newest ``WINDOW`` (100) matches the caller reads, not every match: the inner
query takes them newest first (``ORDER BY published_at DESC, id DESC LIMIT WINDOW``), so its cost
does not grow with the community — for a common word the planner walks a newest-first index (the
community's or space's feed index, or ``contents_published`` across communities: migration 0007)
until it has them, for a rare one it sorts the GIN index's few matches. When more match, the older
ones are not reached: the last page simply ends (refine the query to reach them).

The planner knows a word's frequency only when it is among the column's most common lexemes
(``pg_stats.most_common_elems``); for any other word it guesses half the least common one's, which
in a small vocabulary can be a percent, and then walks a million rows to find ten. Such a query —
none of its words among the most common — is a rare one by definition: it takes the GIN index's
matches (no index walk for that statement, ``enable_indexscan`` off), whatever the planner guessed.

Permissions are Visibility's ``published`` condition inside the one query — nothing the caller may
not read is fetched. The ``Reader`` is built over the communities the caller may read something in:
the one given by ``community_id`` (or ``space_id``'s), else the communities they are a member of and
the open (``live``, ``archived``) communities having a root space readable without membership
(``public``; ``registered`` too for a signed-in caller). That list is a superset: ``Visibility``
then decides each space with the access rules, so a community listed for nothing adds no space.

Pages are keyset on ``(rank, published_at, id)``, all descending, within that window — no OFFSET;
the rank travels in the cursor as a string (a ``real`` written and read back exactly).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from kernel import errors, paging
from kernel.access.readmodel import AccessReadModel, user_id_of
from kernel.entrypoints import rpc
from kernel.inputs import uuid_or_none
from services.publishing.contents import Desk, reader_of
from services.publishing.plugins import content_types
from services.publishing.visibility import Reader

MAX_QUERY = 200
#: relevance ranks the newest ``WINDOW`` matches the caller reads (docs/publishing.md, "Search"): 5 pages
#: of 20. A common word costs the walk of ``WINDOW / its frequency`` items (1,000 for one item in ten)
WINDOW = 100
#: every configuration the migration's ``content_search_config`` may give an item
CONFIGS = ("simple", "french", "english", "italian", "german", "spanish")
#: ``ts_headline`` options: at most two fragments, the query's terms between <mark> and </mark>
HEADLINE = "StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=30, MinWords=10"
#: the body as text safe to show: HTML-escaped before headlining (only <mark> is markup in a snippet)
ESCAPED_BODY = (
    "replace(replace(replace(replace(replace(p.body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),"
    " '\"', '&quot;'), '''', '&#39;')"
)


class SearchHitOut(Schema):
    content_id = fields.UUID(attribute="id")
    community_id = fields.UUID()
    space_id = fields.UUID()
    type = fields.String()
    title = fields.String(allow_none=True)
    snippet = fields.String()
    rank = fields.Float()
    published_at = fields.AwareDateTime()


HIT = SearchHitOut()


def _invalid(field: str, message: str) -> errors.InvalidInput:
    return errors.InvalidInput(message, extra={"errors": {field: [message]}})


def _query_of(q: Any) -> str:
    if not isinstance(q, str) or not 1 <= len(q.strip()) <= MAX_QUERY or len(q) > MAX_QUERY:
        raise _invalid("q", f"q is a text of 1 to {MAX_QUERY} characters.")
    return q


def _position(after: Any) -> tuple | None:
    found = paging.position(after, rank=str, published_at=datetime, id=uuid.UUID)
    if found is None:
        return None
    try:
        rank = float(found[0])
    except ValueError:
        rank = math.nan
    if not math.isfinite(rank):
        raise _invalid("cursor", paging.NOT_THIS_LIST)
    return found


def _id_filter(field: str, value: Any) -> str | None:
    if value is None:
        return None
    key = uuid_or_none(value)
    if key is None:
        raise _invalid(field, f"{field} is not a UUID.")
    return key


def _position_of(row: Mapping[str, Any]) -> dict[str, str]:
    """A hit's keyset position; the rank as the ``repr`` of the float PostgreSQL's ``real`` gave."""
    return {"rank": repr(row["rank"]), "published_at": row["published_at"].isoformat(), "id": str(row["id"])}


class SearchEntrypoints(Desk):
    """Mixed into ``PublishingService``."""

    @rpc
    def search(self, actor, q, limit=20, after=None, community_id=None, space_id=None, type=None):
        """*anon* The published items the caller reads that match ``q`` (web search syntax: words,
        "quoted phrases", ``or``, ``-excluded``), best first, optionally within a community, a space
        or a content type. ``{"items": [{content_id, community_id, space_id, type, title, snippet,
        rank, published_at}], "next"}``."""
        caller = reader_of(actor)
        q = _query_of(q)
        limit = paging.check_limit(limit)
        position = _position(after)
        community_id = _id_filter("community_id", community_id)
        space_id = _id_filter("space_id", space_id)
        if type is not None and type not in content_types():
            raise errors.InvalidInput(
                "Unknown content type.", code="unknown-type", extra={"errors": {"type": ["Unknown content type."]}}
            )
        communities = self._communities(caller, community_id, space_id)
        if not communities:
            return {"items": [], "next": None}
        reader = self.visibility.reader(caller, communities)
        filters = {"community_id": community_id, "space_id": space_id, "type": type}
        rows = self._hits(q, filters, reader, limit + 1, position)
        result = paging.page(rows, limit, _position_of)
        return {"items": [HIT.dump(row) for row in result["items"]], "next": result["next"]}

    # -- helpers ---------------------------------------------------------------------------------------

    def _communities(self, caller, community_id: str | None, space_id: str | None) -> list[str]:
        """The communities to build the caller's ``Reader`` over (a superset of where they read)."""
        if space_id is not None:
            row = self.db.fetchone("SELECT community_id FROM access_spaces WHERE space_id = %s", (space_id,))
            if row is None or (community_id is not None and str(row["community_id"]) != community_id):
                return []
            return [str(row["community_id"])]
        if community_id is not None:
            return [community_id]
        visibilities = ["public"] if user_id_of(caller) is None else ["public", "registered"]
        rows = self.db.fetchall(
            "SELECT DISTINCT s.community_id FROM access_spaces s"
            " JOIN access_communities c ON c.community_id = s.community_id"
            " WHERE s.parent_id IS NULL AND s.visibility = ANY(%s) AND c.state IN ('live', 'archived')",
            (visibilities,),
        )
        open_ones = [str(row["community_id"]) for row in rows]
        return list(dict.fromkeys(AccessReadModel(self.db).member_communities(caller) + open_ones))

    def _forms(self, q: str) -> tuple[dict[str, str], bool]:
        """The query parsed in each configuration (``websearch_to_tsquery``), as tsquery text (a
        configuration where it has no lexeme, only stop words, is left out); and whether the planner
        knows how frequent one of its searched lexemes is (among ``pg_stats.most_common_elems``).

        Also, for the rest of the transaction, no parallel workers and no JIT: an OLTP query whose
        work is bounded by ``WINDOW``, where either costs more (ms of startup) than it saves."""
        rows = self.db.fetchall(
            "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off;"
            " SELECT f.name, f.query::text AS query,"
            " COALESCE((SELECT most_common_elems::text::text[] FROM pg_stats WHERE schemaname = current_schema()"
            " AND tablename = 'contents' AND attname = 'search'), '{}')"
            " && tsvector_to_array(to_tsvector('simple', querytree(f.query))) AS known"
            " FROM (SELECT name, websearch_to_tsquery(name::regconfig, %(q)s) AS query"
            " FROM unnest(%(configs)s::text[]) AS name) f",
            {"q": q, "configs": list(CONFIGS)},
        )
        forms = {row["name"]: row["query"] for row in rows if row["query"]}
        return forms, any(row["known"] for row in rows if row["query"])

    def _hits(
        self, q: str, filters: Mapping[str, str | None], reader: Reader, limit: int, after: Sequence[Any] | None
    ) -> list[dict]:
        """One page of matches the reader's ``published`` condition lets through, best first; the
        snippets are made for that page only."""
        forms, known = self._forms(q)
        if not forms:
            return []
        # a row's own query (the form of its configuration, a constant picked per row: no parsing per
        # row) implies the or of the distinct forms, a constant the GIN index serves; deduplicated
        # ('harv' | 'harvest', not six alternatives) it is estimated as the word's own frequency
        own = (
            "CASE c.search_config "
            + " ".join(f"WHEN %(config_{i})s::regconfig THEN %(form_{i})s::tsquery" for i in range(len(forms)))
            + " END"
        )
        candidates = " | ".join(f"({form})" for form in sorted(set(forms.values())))
        visible, params = reader.published("c")
        # the row's own match as a function call, not as ``@@``: the planner gives ``@@`` against a
        # non-constant query a fixed 0.5% selectivity, which would make every word look rare and sort
        # all matches of a common one; a function call it counts as 1/3 only
        where = ["c.search @@ %(candidates)s::tsquery", f"ts_match_vq(c.search, {own})", visible]
        casts = {"community_id": "::uuid", "space_id": "::uuid", "type": ""}
        where += [f"c.{name} = %({name})s{casts[name]}" for name, value in filters.items() if value]
        keyset = ""
        if after:
            keyset = (
                " WHERE (h.rank, h.published_at, h.id)"
                " < (%(after_rank)s::real, %(after_at)s::timestamptz, %(after_id)s::uuid)"
            )
        # a query of words the planner has no figure for takes the GIN index's matches (module docstring)
        sql = ("" if known else "SET LOCAL enable_indexscan = off; ") + (
            "SELECT p.id, p.community_id, p.space_id, p.type, p.title, p.rank, p.published_at,"
            f" ts_headline(p.search_config, {ESCAPED_BODY}, p.query, %(headline)s) AS snippet"
            " FROM (SELECT h.* FROM ("
            "SELECT w.*, ts_rank_cd(w.search, w.query) AS rank FROM ("
            "SELECT c.id, c.community_id, c.space_id, c.type, c.title, c.body, c.published_at, c.search_config,"
            f" c.search, {own} AS query"
            f" FROM contents c WHERE {' AND '.join(where)}"
            f" ORDER BY c.published_at DESC, c.id DESC LIMIT %(window)s) w) h{keyset}"
            " ORDER BY h.rank DESC, h.published_at DESC, h.id DESC LIMIT %(limit)s) p"
            " ORDER BY p.rank DESC, p.published_at DESC, p.id DESC"
        )
        return self.db.fetchall(
            sql,
            {
                **params,
                **filters,
                "q": q,
                "candidates": candidates,
                **{f"config_{i}": name for i, name in enumerate(forms)},
                **{f"form_{i}": form for i, form in enumerate(forms.values())},
                "headline": HEADLINE,
                "limit": limit,
                "window": WINDOW,
                "after_rank": after[0] if after else None,
                "after_at": after[1] if after else None,
                "after_id": after[2] if after else None,
            },
        )
