"""`/v1/content-types`, `/v1/contents/*`, the moderation queue and the feeds: the publishing service's
content, as the public API shows it (``docs/publishing.md``).

The gateway checks each body's shape (strict schemas: an unknown field is a 400) and reads the
``If-Match`` header of a save; the publishing service applies the rules — content types and their
fields, the community's validation workflow, co-edition and its three-way merge, knowledge levels —
and its exceptions are mapped through the kernel's one table. An item the caller may not read does
not exist (404). A content item is sent with an ``ETag`` header, its revision (`"<revision>"`), which
a later save sends back as ``If-Match``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from gateway.communities import NO_COMMUNITY, caller
from gateway.content_schemas import (
    ARCHIVED_PLACE,
    EDIT_CONFLICT,
    ETAG,
    IF_MATCH,
    IF_MATCH_HEADER,
    MAX_REVISION,
    MAY_NOT,
    NO_CONTENT,
    NOT_ALLOWED,
    REVISION_TAG,
    ContentChangesSchema,
    ContentRejectionSchema,
    ContentSchema,
    ContentTypeListSchema,
    DiffQuery,
    DiffSchema,
    FeedItemSchema,
    NewContentSchema,
    RestoreSchema,
    RevisionSchema,
)
from gateway.pagination import PageQuery, page_from, page_of
from gateway.routing import OPTIONAL, route
from gateway.rpc import ServiceClient
from gateway.spaces import NO_SPACE
from kernel import errors
from kernel.web import json_response


def base_revision_of(request: Request, body: dict[str, Any]) -> int | None:
    """The revision a save started from: the ``If-Match`` header or ``base_revision``; ``None`` if neither."""
    header = request.headers.get(IF_MATCH)
    from_body = body.get("base_revision")
    if header is None:
        return from_body
    match = REVISION_TAG.match(header.strip())
    revision = int(match.group(1) or match.group(2)) if match else 0
    if not 1 <= revision <= MAX_REVISION:
        raise errors.InvalidInput(
            'If-Match is not a revision: send the ETag of the item, "<revision>".',
            extra={"errors": {IF_MATCH: ['Not a revision tag: "<n>", W/"<n>" or <n>, n from 1.']}},
        )
    if from_body is not None and from_body != revision:
        message = f"If-Match says revision {revision}, base_revision {from_body}: send one."
        raise errors.InvalidInput(message, extra={"errors": {IF_MATCH: [message], "base_revision": [message]}})
    return revision


def tagged(content: dict[str, Any], status: int = 200) -> Response:
    """The item as JSON, with its revision as the ``ETag`` header."""
    response = json_response(ContentSchema().dump(content), status)
    response.headers["ETag"] = f'"{content["revision"]}"'
    return response


class PublishingRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the publishing service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    @route(
        "GET",
        "/v1/content-types",
        summary="List the content types",
        tags=["contents"],
        response=ContentTypeListSchema,
        auth=OPTIONAL,
    )
    def list_content_types(self, request, actor):
        """Anyone: the content types installed on this platform, each with the module that a space
        enables for it, whether it is titled, co-edited or a child, and its own fields."""
        return {"items": self.services.call("publishing", "list_content_types")}

    @route(
        "POST",
        "/v1/spaces/{space_id:uuid}/contents",
        summary="Write a content item",
        tags=["contents"],
        body=NewContentSchema,
        response=ContentSchema,
        status=201,
        auth=True,
        response_headers=ETAG,
        responses={
            403: "The caller lacks `post` in the space (`missing-permission`).",
            404: f"{NO_SPACE} Or: the parent item (`parent_id`) is not one the caller reads (`parent-not-found`).",
            409: f"The type's module is disabled in the space (`module-disabled`), or the parent is not "
            f"published (`parent-not-published`). Or: {ARCHIVED_PLACE}",
            413: "The body is longer than 100 000 characters (`too-large`), or the request over the limit.",
            422: "No such content type (`unknown-type`); a child without a parent of its parent's type in the "
            "space, or a root type with one (`parent-required`, `wrong-parent-type`, `parent-in-another-space`, "
            "`no-parent`); a child more widely readable than its parent (`knowledge-level-below-parent`).",
        },
    )
    def create_content(self, request, space_id, body, actor):
        """Needs `post` in the space. The item starts as a `draft` (revision 1) that only its author —
        and for a co-edited type, those with `co_edit` — reads, until it is submitted. A reply or an
        answer lives in its parent's space. Answers the item with its `ETag`."""
        created = self.services.call("publishing", "create_content", actor.as_dict(), str(space_id), body)
        return tagged(created, 201)

    @route(
        "GET",
        "/v1/contents/{content_id:uuid}",
        summary="A content item",
        tags=["contents"],
        response=ContentSchema,
        auth=OPTIONAL,
        response_headers=ETAG,
        responses={404: NO_CONTENT},
    )
    def get_content(self, request, content_id, actor):
        """Anyone who may read it: a published item by its space's readers within its knowledge level;
        an unpublished one by its author, its co-editors and who may approve it. `my_actions` says what
        the caller may do now; `history` is there for who moderates or validates in the space. The
        `ETag` header is the revision, to send back as `If-Match` when saving."""
        return tagged(self.services.call("publishing", "get_content", caller(actor), str(content_id)))

    @route(
        "PATCH",
        "/v1/contents/{content_id:uuid}",
        summary="Save a content item",
        tags=["contents"],
        body=ContentChangesSchema,
        response=ContentSchema,
        auth=True,
        headers=IF_MATCH_HEADER,
        response_headers=ETAG,
        responses={
            400: "The body fails validation, `If-Match` is not a revision tag, it and `base_revision` differ, "
            "or the item has no such revision.",
            403: "The caller is neither the author nor, for a co-edited type, one with `co_edit`.",
            404: NO_CONTENT,
            409: f"{EDIT_CONFLICT} Or: the item cannot be edited in its state (`transition-not-allowed`). "
            f"Or: {ARCHIVED_PLACE}",
            413: "The body is longer than 100 000 characters (`too-large`), or the request over the limit.",
            422: "A reply or an answer made more widely readable than its parent (`knowledge-level-below-parent`).",
            428: "A co-edited item is saved without saying from which revision (`if-match-required`).",
        },
    )
    def update_content(self, request, content_id, body, actor):
        """The author; for a co-edited type (`document`) also who has `co_edit` in the space. Each save
        is a new revision. Say which revision it started from with `If-Match: "<revision>"` (the `ETag`
        of `GET`; `W/"<n>"` and a bare `<n>` are read too) or `base_revision` — required for a
        co-edited type. From the current revision, the save is the next one; from an older one, it is
        merged three ways with what was saved since (title and fields as values, the body line by
        line): without overlap it is saved with `merged: true`; with overlap it is a 409
        `edit-conflict` with `base`, `theirs`, `yours` and a `proposal`, and nothing is saved. A
        rejected item edited becomes a draft again. Answers the item with its new `ETag`."""
        base_revision = base_revision_of(request, body)
        changes = {key: value for key, value in body.items() if key != "base_revision"}
        saved = self.services.call(
            "publishing", "update_content", actor.as_dict(), str(content_id), changes, base_revision
        )
        return tagged(saved)

    @route(
        "DELETE",
        "/v1/contents/{content_id:uuid}",
        summary="Archive a content item",
        tags=["contents"],
        status=204,
        auth=True,
        responses={403: MAY_NOT, 404: NO_CONTENT, 409: NOT_ALLOWED},
    )
    def delete_content(self, request, content_id, actor):
        """The author, or who has `moderate` in the space: the item (a draft, rejected, approved or
        published one) is archived — read-only, out of the feeds; nothing is deleted."""
        self.services.call("publishing", "archive_content", actor.as_dict(), str(content_id))

    # -- the workflow ----------------------------------------------------------------------------------

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/submit",
        summary="Submit a content item",
        tags=["contents"],
        response=ContentSchema,
        auth=True,
        responses={403: MAY_NOT, 404: NO_CONTENT, 409: NOT_ALLOWED},
    )
    def submit_content(self, request, content_id, actor):
        """The author, of a draft: by the community's validation policy, it is published at once
        (`none`; approved until `publish_at` when scheduled), `submitted` for a moderator's approval
        (`pre_moderation`) or `in_review` at the first step (`multi_step`)."""
        return self.services.call("publishing", "submit_content", actor.as_dict(), str(content_id))

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/approve",
        summary="Approve a content item",
        tags=["contents"],
        response=ContentSchema,
        auth=True,
        responses={
            403: "The caller may not take this decision: pre-moderation needs `moderate` or `validate` in the "
            "space; a validation step needs its role there (or `moderate`).",
            404: NO_CONTENT,
            409: NOT_ALLOWED,
        },
    )
    def approve_content(self, request, content_id, actor):
        """Pre-moderation: a holder of `moderate` or `validate` in the space approves the submitted
        item. Multi-step: a member whose role in the space is the current step's role (or who holds
        `moderate`) passes that step; after the last one the item is approved. An approved item is
        published at once, or at its `publish_at`."""
        return self.services.call("publishing", "approve_content", actor.as_dict(), str(content_id))

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/reject",
        summary="Reject a content item",
        tags=["contents"],
        body=ContentRejectionSchema,
        response=ContentSchema,
        auth=True,
        responses={
            403: "The caller may not decide on the item (see approve).",
            404: NO_CONTENT,
            409: NOT_ALLOWED,
        },
    )
    def reject_content(self, request, content_id, body, actor):
        """Who may approve the item at its current step may reject it instead, with a reason: the item
        is `rejected`; its author edits it (a draft again) and submits it anew."""
        return self.services.call("publishing", "reject_content", actor.as_dict(), str(content_id), body["reason"])

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/publish",
        summary="Publish an approved item now",
        tags=["contents"],
        response=ContentSchema,
        auth=True,
        responses={403: "The caller may not approve the item.", 404: NO_CONTENT, 409: NOT_ALLOWED},
    )
    def publish_content(self, request, content_id, actor):
        """Who may approve it: an approved item waiting for its `publish_at` is published now, and
        appears in the feeds of those who may read it."""
        return self.services.call("publishing", "publish_content", actor.as_dict(), str(content_id))

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/archive",
        summary="Archive a content item (and see it)",
        tags=["contents"],
        response=ContentSchema,
        auth=True,
        responses={403: MAY_NOT, 404: NO_CONTENT, 409: NOT_ALLOWED},
    )
    def archive_content(self, request, content_id, actor):
        """The author, or who has `moderate` in the space: like `DELETE`, the item is archived
        (read-only, out of the feeds), and this answers it."""
        return self.services.call("publishing", "archive_content", actor.as_dict(), str(content_id))

    # -- revisions -----------------------------------------------------------------------------------

    @route(
        "GET",
        "/v1/contents/{content_id:uuid}/revisions",
        summary="List an item's revisions",
        tags=["contents"],
        query=PageQuery,
        response=page_of(RevisionSchema),
        auth=True,
        responses={404: NO_CONTENT},
    )
    def list_revisions(self, request, content_id, query, actor):
        """Who may read the item: every saved revision, each with its title, body, fields, author and
        time, newest first."""
        return page_from(
            self.services.call(
                "publishing", "list_revisions", actor.as_dict(), str(content_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "GET",
        "/v1/contents/{content_id:uuid}/diff",
        summary="Compare two revisions",
        tags=["contents"],
        query=DiffQuery,
        response=DiffSchema,
        auth=True,
        responses={404: f"{NO_CONTENT} Or: no such revision."},
    )
    def diff_revisions(self, request, content_id, query, actor):
        """Who may read the item's revisions: a unified diff, part by part (title, body, fields), from
        revision `from` to revision `to`."""
        return self.services.call(
            "publishing",
            "diff_revisions",
            actor.as_dict(),
            str(content_id),
            query["from_revision"],
            query["to_revision"],
        )

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/restore",
        summary="Restore a revision",
        tags=["contents"],
        body=RestoreSchema,
        response=ContentSchema,
        auth=True,
        response_headers=ETAG,
        responses={
            403: "The caller may not edit the item.",
            404: f"{NO_CONTENT} Or: no such revision.",
            409: f"The item cannot be edited in its state (`transition-not-allowed`). Or: {ARCHIVED_PLACE}",
        },
    )
    def restore_revision(self, request, content_id, body, actor):
        """Who may edit the item: that revision's title, body and fields are saved as a new revision
        (nothing is rewritten). Answers the item with its new `ETag`."""
        restored = self.services.call(
            "publishing", "restore_revision", actor.as_dict(), str(content_id), body["revision"]
        )
        return tagged(restored)

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/moderation-queue",
        summary="Items waiting for my decision",
        tags=["contents"],
        query=PageQuery,
        response=page_of(ContentSchema),
        auth=True,
        responses={404: NO_COMMUNITY},
    )
    def moderation_queue(self, request, community_id, query, actor):
        """The submitted and in-review items of the community whose current decision the caller may
        take (approve or reject), oldest first; empty for who decides nothing."""
        return page_from(
            self.services.call(
                "publishing", "moderation_queue", actor.as_dict(), str(community_id), query["limit"], query["cursor"]
            )
        )

    # -- feeds ---------------------------------------------------------------------------------------

    @route(
        "GET",
        "/v1/spaces/{space_id:uuid}/feed",
        summary="A space's feed",
        tags=["feeds"],
        query=PageQuery,
        response=page_of(FeedItemSchema),
        auth=OPTIONAL,
        responses={404: NO_SPACE},
    )
    def space_feed(self, request, space_id, query, actor):
        """Anyone who reads the space: its published items that the caller may read (knowledge levels
        applied), newest first. Anonymous visitors read the public items of public spaces."""
        return page_from(
            self.services.call(
                "publishing", "space_feed", caller(actor), str(space_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/feed",
        summary="A community's feed",
        tags=["feeds"],
        query=PageQuery,
        response=page_of(FeedItemSchema),
        auth=OPTIONAL,
        responses={404: NO_COMMUNITY},
    )
    def community_feed(self, request, community_id, query, actor):
        """Anyone who sees the community: the published items of the spaces the caller reads, that
        they may read (knowledge levels applied), newest first."""
        return page_from(
            self.services.call(
                "publishing", "community_feed", caller(actor), str(community_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "GET",
        "/v1/me/feed",
        summary="My feed",
        tags=["feeds"],
        query=PageQuery,
        response=page_of(FeedItemSchema),
        auth=True,
    )
    def my_feed(self, request, query, actor):
        """Any signed-in user: the published items of every community they are a member of, that they
        may read, newest first."""
        return page_from(self.services.call("publishing", "my_feed", actor.as_dict(), query["limit"], query["cursor"]))
