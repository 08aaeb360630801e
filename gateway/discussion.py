"""`/v1/contents/{id}/comments|reactions|answers` and `/v1/answers/{id}/accept`: the discussion of a
published item, as the public API shows it (``docs/publishing.md``).

The gateway checks each body's shape; the publishing service decides who may (a comment or a
reaction of an item the caller may not read does not exist: 404) and renders comments' Markdown
sanitized, as it does items' bodies.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.charter import UuidText
from gateway.communities import caller
from gateway.content_schemas import ARCHIVED_PLACE, ETAG, NO_CONTENT, ContentSchema, knowledge_level_field
from gateway.pagination import PageQuery, page_from, page_of
from gateway.publishing import tagged
from gateway.routing import OPTIONAL, route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema
from kernel.events.catalog.publishing import REACTIONS

#: a comment's Markdown, in characters (the service checks it too)
COMMENT_MAX = 10_000
NO_PUBLISHED = f"{NO_CONTENT} Or: it is not published."


class NewCommentSchema(Schema):
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=COMMENT_MAX),
        metadata={"description": "Markdown (CommonMark), rendered and sanitized as `body_html`."},
    )
    parent_id = UuidText(
        allow_none=True,
        metadata={"description": "The comment this one replies to: a comment, never a reply (one level)."},
    )


class ReactionSchema(Schema):
    reaction = fields.String(required=True, validate=validate.OneOf(REACTIONS))


class NewAnswerSchema(Schema):
    body = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Markdown, at most 100 000 characters (a 413 `too-large` beyond)."},
    )
    knowledge_level = knowledge_level_field()


class CommentSchema(ResponseSchema):
    id = fields.String(required=True)
    content_id = fields.String(required=True)
    parent_id = fields.String(allow_none=True, metadata={"description": "The comment it replies to, or null."})
    author_id = fields.String(allow_none=True, metadata={"description": "Null once the author erased their account."})
    body = fields.String(metadata={"description": "Markdown, as written."})
    body_html = fields.String(metadata={"description": "The body rendered and sanitized: no script."})
    created_at = fields.String(metadata={"format": "date-time"})


class ReactionsSchema(ResponseSchema):
    content_id = fields.String(required=True)
    reactions = fields.Dict(
        keys=fields.String(metadata={"enum": list(REACTIONS)}),
        values=fields.Integer(),
        metadata={"description": "How many readers added each reaction."},
    )
    mine = fields.List(fields.String(metadata={"enum": list(REACTIONS)}), metadata={"description": "The caller's."})


class DiscussionRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the publishing service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    @route(
        "GET",
        "/v1/contents/{content_id:uuid}/comments",
        summary="List an item's comments",
        tags=["contents"],
        query=PageQuery,
        response=page_of(CommentSchema),
        auth=OPTIONAL,
        responses={404: NO_PUBLISHED},
    )
    def list_comments(self, request, content_id, query, actor):
        """Anyone who reads the published item: its comments, oldest first; a reply names the comment
        it answers (`parent_id`)."""
        return page_from(
            self.services.call(
                "publishing", "list_comments", caller(actor), str(content_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/comments",
        summary="Comment on an item",
        tags=["contents"],
        body=NewCommentSchema,
        response=CommentSchema,
        status=201,
        auth=True,
        responses={
            403: "The caller lacks `comment` in the item's space (`missing-permission`).",
            404: f"{NO_PUBLISHED} Or: no such comment to reply to (`comment-not-found`).",
            409: f"The item is archived. Or: {ARCHIVED_PLACE}",
            422: "A reply to a reply: replies are one level deep (`reply-to-reply`).",
        },
    )
    def add_comment(self, request, content_id, body, actor):
        """Needs `comment` in the space of a published item the caller reads. The Markdown is rendered
        and sanitized (`body_html`): no script, event handler or javascript: link reaches a reader."""
        return self.services.call(
            "publishing", "add_comment", actor.as_dict(), str(content_id), body["body"], body.get("parent_id")
        )

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/reactions",
        summary="React to an item",
        tags=["contents"],
        body=ReactionSchema,
        response=ReactionsSchema,
        auth=True,
        responses={404: NO_PUBLISHED, 409: ARCHIVED_PLACE},
    )
    def react(self, request, content_id, body, actor):
        """A signed-in reader of the published item adds a reaction (`like`, `insightful`, `thanks`,
        `agree`); adding it again changes nothing. Answers the counts and the caller's reactions."""
        return self.services.call("publishing", "react", actor.as_dict(), str(content_id), body["reaction"])

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/answers",
        summary="Answer a question",
        tags=["contents"],
        body=NewAnswerSchema,
        response=ContentSchema,
        status=201,
        auth=True,
        response_headers=ETAG,
        responses={
            403: "The caller lacks `post` in the question's space (`missing-permission`).",
            404: NO_CONTENT,
            409: f"The question is not published (`parent-not-published`), or the `qa` module is disabled "
            f"(`module-disabled`). Or: {ARCHIVED_PLACE}",
            413: "The body is longer than 100 000 characters (`too-large`), or the request over the limit.",
            422: "The item is not a question (`not-a-question`), or the answer would be more widely readable "
            "(`knowledge-level-below-parent`).",
        },
    )
    def post_answer(self, request, content_id, body, actor):
        """As writing any item (`post` in the question's space): the answer starts as a draft its author
        submits. `by_expert` marks an answer written by a verified expert. Answers it with its `ETag`."""
        created = self.services.call("publishing", "post_answer", actor.as_dict(), str(content_id), body)
        return tagged(created, 201)

    @route(
        "POST",
        "/v1/answers/{answer_id:uuid}/accept",
        summary="Accept an answer",
        tags=["contents"],
        response=ContentSchema,
        auth=True,
        response_headers=ETAG,
        responses={
            403: "Only the question's author or an expert (`validate` in the space) accepts (`forbidden`).",
            404: NO_CONTENT,
            409: f"The answer is not published (`answer-not-published`). Or: {ARCHIVED_PLACE}",
        },
    )
    def accept_answer(self, request, answer_id, actor):
        """The question's author, or an expert (`validate` in its space), accepts a published answer: it
        becomes the question's `accepted_answer_id`, replacing an earlier one. Answers the question,
        with its `ETag`."""
        return tagged(self.services.call("publishing", "accept_answer", actor.as_dict(), str(answer_id)))
