"""The publishing service's events: the life of a content item.

Every content event carries the item's place (community, space), type, knowledge level, state and
author. **Events about confidential content carry no title** (``title`` is null) and no event
carries a body: a consumer that needs the text reads it from publishing, which checks who may.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from kernel.events.registry import define

KNOWLEDGE_LEVELS = ("confidential", "extended", "public")
CONTENT_STATES = ("draft", "submitted", "in_review", "approved", "published", "rejected", "archived")
#: the reactions a reader may add to a published item (one of each per reader)
REACTIONS = ("like", "insightful", "thanks", "agree")
#: why a reader reports an item
REPORT_CATEGORIES = ("spam", "abuse", "off_topic", "misinformation", "other")
#: why an item was hidden
HIDING_REASONS = ("reports", "moderator")
#: the sanctions a moderator applies (a ``ban`` is pronounced by the spaces service, then recorded)
SANCTION_KINDS = ("warn", "mute", "ban")


class ContentFactSchema(Schema):
    """What every content event says about the item."""

    content_id = fields.String(required=True)
    community_id = fields.String(required=True)
    space_id = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "The content type (news, topic, document, ...)."})
    knowledge_level = fields.String(required=True, validate=validate.OneOf(KNOWLEDGE_LEVELS))
    state = fields.String(required=True, validate=validate.OneOf(CONTENT_STATES))
    author_id = fields.String(required=True, allow_none=True, metadata={"description": "Null once erased."})
    title = fields.String(
        required=True, allow_none=True, metadata={"description": "Null for confidential content and untitled types."}
    )


class ContentCreatedSchema(ContentFactSchema):
    pass


class ContentSubmittedSchema(ContentFactSchema):
    submitted_by = fields.String(required=True)


class ContentApprovedSchema(ContentFactSchema):
    """One validation step passed (``step``: its name; null for single-step pre-moderation);
    ``final``: the item is now approved as a whole."""

    approved_by = fields.String(required=True)
    step = fields.String(required=True, allow_none=True)
    final = fields.Boolean(required=True)


class ContentRejectedSchema(ContentFactSchema):
    rejected_by = fields.String(required=True)
    step = fields.String(required=True, allow_none=True)
    reason = fields.String(required=True)


class ContentPublishedSchema(ContentFactSchema):
    """``published_by`` is null when a scheduled publication came due."""

    published_by = fields.String(required=True, allow_none=True)
    published_at = fields.AwareDateTime(required=True)


class ContentUpdatedSchema(ContentFactSchema):
    """A new revision: which parts changed, and whether it was merged with a concurrent save."""

    updated_by = fields.String(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    changed = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    merged = fields.Boolean(required=True)


class ContentArchivedSchema(ContentFactSchema):
    archived_by = fields.String(required=True)


class DiscussionFactSchema(Schema):
    """What every discussion event (comments, reactions, answers) says about the item's place: no
    title and never a text — a consumer reads them from publishing, which checks who may."""

    community_id = fields.String(required=True)
    space_id = fields.String(required=True)
    knowledge_level = fields.String(required=True, validate=validate.OneOf(KNOWLEDGE_LEVELS))


class CommentCreatedSchema(DiscussionFactSchema):
    comment_id = fields.String(required=True)
    content_id = fields.String(required=True)
    author_id = fields.String(required=True)
    parent_comment_id = fields.String(
        required=True, allow_none=True, metadata={"description": "The comment it replies to (one level), or null."}
    )


class ReactionAddedSchema(DiscussionFactSchema):
    content_id = fields.String(required=True)
    user_id = fields.String(required=True)
    reaction = fields.String(required=True, validate=validate.OneOf(REACTIONS))


class AnswerPostedSchema(DiscussionFactSchema):
    """An answer (a draft until submitted) to a question; ``by_expert``: written by a verified expert."""

    answer_id = fields.String(required=True)
    question_id = fields.String(required=True)
    author_id = fields.String(required=True)
    by_expert = fields.Boolean(required=True)


class AnswerAcceptedSchema(DiscussionFactSchema):
    """The question's accepted answer (replacing any earlier one)."""

    answer_id = fields.String(required=True)
    question_id = fields.String(required=True)
    accepted_by = fields.String(required=True)
    by_expert = fields.Boolean(required=True)


class CourseRegisteredSchema(DiscussionFactSchema):
    """A signed-in reader registered to a published course."""

    course_id = fields.String(required=True)
    user_id = fields.String(required=True)


class CourseCompletedSchema(CourseRegisteredSchema):
    """The course's author or a validator marked a registered user as having completed it."""

    completed_by = fields.String(required=True)
    completed_at = fields.AwareDateTime(required=True)


class ContentReportedSchema(ContentFactSchema):
    """A signed-in reader reported a published item (once per reader); ``reports``: how many distinct
    readers have reported it now. No reason text: a moderator reads it from publishing."""

    reporter_id = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(REPORT_CATEGORIES))
    reports = fields.Integer(required=True, validate=validate.Range(min=1))


class ContentHiddenSchema(ContentFactSchema):
    """An item left the feeds and search (kept for moderators): ``reason`` ``reports`` when enough
    readers reported it (``hidden_by`` null), ``moderator`` when one hid it."""

    reason = fields.String(required=True, validate=validate.OneOf(HIDING_REASONS))
    hidden_by = fields.String(required=True, allow_none=True)


class ContentUnhiddenSchema(ContentFactSchema):
    """A moderator put a hidden item back in the feeds and search; its standing reports are resolved.
    Never the moderator's reason text."""

    unhidden_by = fields.String(required=True)


class SpaceCrisisModeChangedSchema(Schema):
    """A space entered or left crisis mode (pre-moderation of everything, a slow mode)."""

    space_id = fields.String(required=True)
    community_id = fields.String(required=True)
    crisis = fields.Boolean(required=True)
    slow_seconds = fields.Integer(required=True, validate=validate.Range(min=0, max=3600))
    changed_by = fields.String(required=True)


class SanctionAppliedSchema(Schema):
    """A moderator sanctioned a member (``warn``, ``mute`` until a date, or ``ban``: already
    pronounced by spaces, ``member.banned``); never the reason text."""

    sanction_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SANCTION_KINDS))
    until = fields.AwareDateTime(required=True, allow_none=True)
    applied_by = fields.String(required=True)


CONTENT_CREATED = define(
    "ecommunity.publishing.content.created.v1", ContentCreatedSchema, "A member started a content item (a draft)."
).name
CONTENT_SUBMITTED = define(
    "ecommunity.publishing.content.submitted.v1",
    ContentSubmittedSchema,
    "A draft was submitted for publication (published at once when the policy is `none`).",
).name
CONTENT_APPROVED = define(
    "ecommunity.publishing.content.approved.v1", ContentApprovedSchema, "A validation step approved an item."
).name
CONTENT_REJECTED = define(
    "ecommunity.publishing.content.rejected.v1", ContentRejectedSchema, "A validator rejected an item, with a reason."
).name
CONTENT_PUBLISHED = define(
    "ecommunity.publishing.content.published.v1", ContentPublishedSchema, "An item became visible to its readers."
).name
CONTENT_UPDATED = define(
    "ecommunity.publishing.content.updated.v1", ContentUpdatedSchema, "An item got a new revision."
).name
CONTENT_ARCHIVED = define(
    "ecommunity.publishing.content.archived.v1", ContentArchivedSchema, "An item was archived (read-only)."
).name

COMMENT_CREATED = define(
    "ecommunity.publishing.comment.created.v1", CommentCreatedSchema, "A reader commented on a published item."
).name
REACTION_ADDED = define(
    "ecommunity.publishing.reaction.added.v1", ReactionAddedSchema, "A reader reacted to a published item."
).name
ANSWER_POSTED = define(
    "ecommunity.publishing.answer.posted.v1", AnswerPostedSchema, "A member wrote an answer to a question."
).name
ANSWER_ACCEPTED = define(
    "ecommunity.publishing.answer.accepted.v1", AnswerAcceptedSchema, "A question's answer was accepted."
).name
COURSE_REGISTERED = define(
    "ecommunity.publishing.course.registered.v1", CourseRegisteredSchema, "A reader registered to a course."
).name
COURSE_COMPLETED = define(
    "ecommunity.publishing.course.completed.v1",
    CourseCompletedSchema,
    "A registered user completed a course (marked by its author or a validator).",
).name

CONTENT_REPORTED = define(
    "ecommunity.publishing.content.reported.v1", ContentReportedSchema, "A reader reported a published item."
).name
CONTENT_HIDDEN = define(
    "ecommunity.publishing.content.hidden.v1",
    ContentHiddenSchema,
    "An item was hidden from feeds and search (enough reports, or a moderator).",
).name
CONTENT_UNHIDDEN = define(
    "ecommunity.publishing.content.unhidden.v1",
    ContentUnhiddenSchema,
    "A moderator put a hidden item back in feeds and search.",
).name
SPACE_CRISIS_MODE_CHANGED = define(
    "ecommunity.publishing.space.crisis_mode_changed.v1",
    SpaceCrisisModeChangedSchema,
    "A moderator turned a space's crisis mode on or off, or changed its slow mode.",
).name
SANCTION_APPLIED = define(
    "ecommunity.publishing.sanction.applied.v1", SanctionAppliedSchema, "A moderator warned, muted or banned a member."
).name

__all__ = [
    "ANSWER_ACCEPTED",
    "ANSWER_POSTED",
    "COMMENT_CREATED",
    "CONTENT_APPROVED",
    "CONTENT_ARCHIVED",
    "CONTENT_CREATED",
    "CONTENT_HIDDEN",
    "CONTENT_PUBLISHED",
    "CONTENT_REJECTED",
    "CONTENT_REPORTED",
    "CONTENT_STATES",
    "CONTENT_SUBMITTED",
    "CONTENT_UNHIDDEN",
    "CONTENT_UPDATED",
    "COURSE_COMPLETED",
    "COURSE_REGISTERED",
    "HIDING_REASONS",
    "KNOWLEDGE_LEVELS",
    "REACTIONS",
    "REACTION_ADDED",
    "REPORT_CATEGORIES",
    "SANCTION_APPLIED",
    "SANCTION_KINDS",
    "SPACE_CRISIS_MODE_CHANGED",
    "ContentFactSchema",
]
