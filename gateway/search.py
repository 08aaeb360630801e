"""`/v1/search`: full-text search over the published content the caller may read (docs/publishing.md,
"Search").

The gateway checks the query string (a strict schema: an unknown parameter is a 400); the publishing
service parses the words in each community's language, ranks, makes the snippets and applies the
caller's visibility inside its one query. Anonymous visitors search the public items of public
spaces.
"""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.communities import caller
from gateway.pagination import PageQuery, page_from, page_of
from gateway.routing import OPTIONAL, route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema

MAX_QUERY = 200


class SearchQuery(PageQuery):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUERY),
        metadata={"description": 'The words to find, web-search style: `word`, `"a phrase"`, `or`, `-excluded`.'},
    )
    community_id = fields.UUID(metadata={"description": "Only in this community."})
    space_id = fields.UUID(metadata={"description": "Only in this space."})
    type = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Only items of this content type (`GET /v1/content-types`)."},
    )


class SearchHitSchema(ResponseSchema):
    content_id = fields.UUID(required=True)
    community_id = fields.UUID(required=True)
    space_id = fields.UUID(required=True)
    type = fields.String(required=True)
    title = fields.String(required=True, allow_none=True, metadata={"description": "Null for untitled types."})
    snippet = fields.String(
        required=True,
        metadata={
            "description": "Up to two fragments of the body, HTML-escaped, the matched words in `<mark>...</mark>`."
        },
    )
    rank = fields.Float(required=True, metadata={"description": "Relevance (higher first)."})
    published_at = fields.String(required=True, metadata={"format": "date-time"})


class SearchRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the publishing service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    @route(
        "GET",
        "/v1/search",
        summary="Search content",
        tags=["search"],
        query=SearchQuery,
        response=page_of(SearchHitSchema),
        auth=OPTIONAL,
        responses={400: "`q` is empty or longer than 200 characters, a filter or the cursor is not valid."},
    )
    def search(self, request, query, actor):
        """Anyone: the published items the caller may read (knowledge levels applied) that match `q`,
        most relevant first (a title match before a body match, then newest), each with a snippet.
        Words are matched in the community's language ("running" finds "runs" in English)."""
        return page_from(
            self.services.call(
                "publishing",
                "search",
                caller(actor),
                query["q"],
                query["limit"],
                query["cursor"],
                _text(query.get("community_id")),
                _text(query.get("space_id")),
                query.get("type"),
            )
        )


def _text(value) -> str | None:
    return None if value is None else str(value)
