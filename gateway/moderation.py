"""Moderation routes: readers' reports, moderators hiding an item or putting it back (audited), locks,
a space's crisis mode, sanctions and the community's moderation settings, as the public API shows
them (``docs/publishing.md``, "Moderation").

The gateway checks each body's shape; the publishing service decides who may (``moderate`` in the
space or community-wide, ``configure`` for the settings) and what follows (an item hidden after
enough reports, a mute refusing new writing, a ban pronounced by the spaces service).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.charter import UuidText
from gateway.content_schemas import ARCHIVED_PLACE, NO_CONTENT
from gateway.pagination import PageQuery, page_from, page_of
from gateway.routing import route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema
from kernel.events.catalog.publishing import HIDING_REASONS, REPORT_CATEGORIES, SANCTION_KINDS

NOT_MODERATOR = "The caller lacks `moderate` (`missing-permission`)."
NO_COMMUNITY = "No such community, or the caller may not see it."


class NewReportSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    category = fields.String(required=True, validate=validate.OneOf(REPORT_CATEGORIES))


class HidingReasonSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Why: kept in the item's audit of hidings, shown to moderators only."},
    )


class LockSchema(Schema):
    locked = fields.Boolean(required=True)


class CrisisModeSchema(Schema):
    crisis = fields.Boolean(required=True)
    slow_seconds = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=3600),
        metadata={"description": "While in crisis, a member posts at most once per this many seconds (0: no limit)."},
    )


class NewSanctionSchema(Schema):
    user_id = UuidText(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SANCTION_KINDS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    until = fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "A mute's end (required for `mute`)."}
    )


class ModerationSettingsSchema(Schema):
    report_threshold = fields.Integer(required=True, validate=validate.Range(min=1, max=100))


class ReportSchema(ResponseSchema):
    id = fields.String(required=True)
    content_id = fields.String(required=True)
    category = fields.String(metadata={"enum": list(REPORT_CATEGORIES)})
    reason = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})


class LockedSchema(ResponseSchema):
    content_id = fields.String(required=True)
    locked = fields.Boolean(required=True)


class CrisisSchema(ResponseSchema):
    space_id = fields.String(required=True)
    community_id = fields.String()
    crisis = fields.Boolean(required=True)
    slow_seconds = fields.Integer()
    changed_by = fields.String(allow_none=True)
    changed_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class SanctionSchema(ResponseSchema):
    id = fields.String(required=True)
    community_id = fields.String()
    user_id = fields.String()
    kind = fields.String(metadata={"enum": list(SANCTION_KINDS)})
    reason = fields.String()
    until = fields.String(allow_none=True, metadata={"format": "date-time"})
    by = fields.String()
    at = fields.String(metadata={"format": "date-time"})


class HidingSchema(ResponseSchema):
    id = fields.String(required=True)
    content_id = fields.String(required=True)
    action = fields.String(required=True, metadata={"enum": ["hide", "unhide"]})
    cause = fields.String(
        required=True,
        metadata={"enum": list(HIDING_REASONS), "description": "`reports`: the community's threshold was reached."},
    )
    reason = fields.String(allow_none=True, metadata={"description": "The moderator's why; null for `reports`."})
    by = fields.String(allow_none=True, metadata={"description": "The moderator; null for `reports` or once erased."})
    at = fields.String(metadata={"format": "date-time"})


class SettingsSchema(ResponseSchema):
    community_id = fields.String(required=True)
    report_threshold = fields.Integer(required=True)


class ModerationRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the publishing service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/reports",
        summary="Report an item",
        tags=["moderation"],
        body=NewReportSchema,
        response=ReportSchema,
        status=201,
        auth=True,
        responses={404: f"{NO_CONTENT} Or: it is not published, or already hidden.", 409: ARCHIVED_PLACE},
    )
    def report_content(self, request, content_id, body, actor):
        """A signed-in reader reports a published item; reporting it again changes nothing. When enough
        distinct readers reported it (the community's `report_threshold`, 5 by default) it is hidden
        from feeds and search, and kept for moderators."""
        return self.services.call(
            "publishing", "report_content", actor.as_dict(), str(content_id), body["reason"], body["category"]
        )

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/hide",
        summary="Hide an item",
        tags=["moderation"],
        body=HidingReasonSchema,
        response=HidingSchema,
        status=201,
        auth=True,
        responses={
            403: NOT_MODERATOR,
            404: NO_CONTENT,
            409: f"{ARCHIVED_PLACE} Or: it is hidden already (`already-hidden`), or not published (`not-published`).",
        },
    )
    def hide_content(self, request, content_id, body, actor):
        """`moderate` in the item's space: the item leaves feeds and search as if enough readers had
        reported it, and stays readable by moderators. Answers the new line of the item's audit of
        hidings (the reason is kept there, never in an event)."""
        return self.services.call("publishing", "hide_content", actor.as_dict(), str(content_id), body["reason"])

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/unhide",
        summary="Put a hidden item back",
        tags=["moderation"],
        body=HidingReasonSchema,
        response=HidingSchema,
        status=201,
        auth=True,
        responses={403: NOT_MODERATOR, 404: NO_CONTENT, 409: f"{ARCHIVED_PLACE} Or: it is not hidden (`not-hidden`)."},
    )
    def unhide_content(self, request, content_id, body, actor):
        """`moderate` in the item's space: a hidden item (by reports or by a moderator) is back in feeds
        and search; its standing reports are resolved, so readers' reports count again from zero.
        Answers the new line of the item's audit of hidings."""
        return self.services.call("publishing", "unhide_content", actor.as_dict(), str(content_id), body["reason"])

    @route(
        "GET",
        "/v1/contents/{content_id:uuid}/hidings",
        summary="List an item's hidings",
        tags=["moderation"],
        query=PageQuery,
        response=page_of(HidingSchema),
        auth=True,
        responses={403: NOT_MODERATOR, 404: NO_CONTENT},
    )
    def list_hidings(self, request, content_id, query, actor):
        """`moderate` in the item's space: every time it was hidden or put back, newest first, with who
        and why."""
        return page_from(
            self.services.call(
                "publishing", "list_hidings", actor.as_dict(), str(content_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/lock",
        summary="Lock or unlock an item",
        tags=["moderation"],
        body=LockSchema,
        response=LockedSchema,
        auth=True,
        responses={403: NOT_MODERATOR, 404: NO_CONTENT, 409: ARCHIVED_PLACE},
    )
    def lock_content(self, request, content_id, body, actor):
        """`moderate` in the item's space: a locked item takes no new comment nor answer (409 `locked`)."""
        return self.services.call("publishing", "lock_content", actor.as_dict(), str(content_id), body["locked"])

    @route(
        "PUT",
        "/v1/spaces/{space_id:uuid}/crisis-mode",
        summary="Set a space's crisis mode",
        tags=["moderation"],
        body=CrisisModeSchema,
        response=CrisisSchema,
        auth=True,
        responses={403: NOT_MODERATOR, 404: "No such space.", 409: ARCHIVED_PLACE},
    )
    def set_crisis_mode(self, request, space_id, body, actor):
        """`moderate` in the space. While in crisis, new items go to pre-moderation, comments are closed
        (409 `crisis-mode`) but to moderators, and a member posts at most once per `slow_seconds`
        (429 `slow-mode` with `Retry-After`)."""
        return self.services.call(
            "publishing", "set_crisis_mode", actor.as_dict(), str(space_id), body["crisis"], body["slow_seconds"]
        )

    @route(
        "POST",
        "/v1/communities/{community_id:uuid}/sanctions",
        summary="Sanction a member",
        tags=["moderation"],
        body=NewSanctionSchema,
        response=SanctionSchema,
        status=201,
        auth=True,
        responses={
            403: f"{NOT_MODERATOR} (community-wide). For a `ban`, the spaces service's refusals: the user is"
            " an owner (`owner-not-bannable`), a manager and the caller no owner (`owner-only`), or the"
            " caller (`self-ban`).",
            404: NO_COMMUNITY,
            409: "A `ban` of a user banned already (`already-banned`).",
            422: "A mute needs an `until` in the future (`until-required`).",
        },
    )
    def apply_sanction(self, request, community_id, body, actor):
        """`moderate` community-wide: a `warn` is recorded; a `mute` stops the member writing items and
        comments in the community until `until` (403 `muted`); a `ban` is pronounced by the spaces
        service first (as `POST /v1/communities/{id}/bans/{user_id}` would, with its refusals) and
        recorded only then: the member loses their membership and every right in the community.
        Every sanction is kept."""
        until = body.get("until")
        return self.services.call(
            "publishing",
            "apply_sanction",
            actor.as_dict(),
            str(community_id),
            body["user_id"],
            body["kind"],
            body["reason"],
            None if until is None else until.isoformat(),
        )

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/sanctions",
        summary="List a community's sanctions",
        tags=["moderation"],
        query=PageQuery,
        response=page_of(SanctionSchema),
        auth=True,
        responses={403: f"{NOT_MODERATOR} (community-wide)", 404: NO_COMMUNITY},
    )
    def list_sanctions(self, request, community_id, query, actor):
        """`moderate` community-wide: every sanction, newest first."""
        return page_from(
            self.services.call(
                "publishing", "list_sanctions", actor.as_dict(), str(community_id), query["limit"], query["cursor"]
            )
        )

    @route(
        "PUT",
        "/v1/communities/{community_id:uuid}/moderation-settings",
        summary="Set the community's moderation settings",
        tags=["moderation"],
        body=ModerationSettingsSchema,
        response=SettingsSchema,
        auth=True,
        responses={403: "The caller lacks `configure` (`missing-permission`).", 404: NO_COMMUNITY},
    )
    def set_moderation_settings(self, request, community_id, body, actor):
        """`configure` community-wide: how many distinct readers' reports hide an item (1..100)."""
        return self.services.call(
            "publishing", "set_report_threshold", actor.as_dict(), str(community_id), body["report_threshold"]
        )
