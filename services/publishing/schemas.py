"""marshmallow schemas of the publishing service's RPCs: inputs (loaded with ``kernel.inputs.load``:
InvalidInput per field, unknown fields refused) and outputs (JSON-able: uuids and times as strings).

The type-specific ``fields`` of an item are checked by its content type (``plugins``), not here.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from kernel.events.catalog.publishing import KNOWLEDGE_LEVELS, REACTIONS, REPORT_CATEGORIES, SANCTION_KINDS

#: the parts of an item a save may change
CHANGEABLE = ("title", "body", "fields", "knowledge_level")
#: revisions are PostgreSQL integers
MAX_REVISION = 2**31 - 1


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class NewContent(_Strict):
    type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(load_default=None, allow_none=True)
    body = fields.String(load_default="")
    fields_ = fields.Dict(data_key="fields", attribute="fields", load_default=None, allow_none=True)
    knowledge_level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KNOWLEDGE_LEVELS))
    parent_id = fields.String(load_default=None, allow_none=True)
    publish_at = fields.AwareDateTime(load_default=None, allow_none=True)


class Changes(_Strict):
    """A save: the parts given change (at least one)."""

    title = fields.String(allow_none=True)
    body = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields", allow_none=True)
    knowledge_level = fields.String(validate=validate.OneOf(KNOWLEDGE_LEVELS))

    @validates_schema
    def _something(self, data: dict, **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Give at least one of title, body, fields, knowledge_level.", "_schema")


def _revision(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_REVISION), **kwargs)


class BaseRevision(_Strict):
    base_revision = _revision(load_default=None, allow_none=True)


class Rejection(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))

    @validates_schema
    def _not_blank(self, data: dict, **kwargs: Any) -> None:
        if not data["reason"].strip():
            raise ValidationError("A reason is required.", "reason")


class RevisionPair(_Strict):
    from_revision = _revision(required=True)
    to_revision = _revision(required=True)


class RevisionNumber(_Strict):
    revision = _revision(required=True)


# -- outputs ------------------------------------------------------------------------------------


class TransitionOut(Schema):
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    step = fields.String(allow_none=True)
    actor_id = fields.UUID(allow_none=True)
    reason = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class ContentOut(Schema):
    id = fields.UUID()
    community_id = fields.UUID()
    space_id = fields.UUID()
    type = fields.String()
    parent_id = fields.UUID(allow_none=True)
    author_id = fields.UUID(allow_none=True)
    title = fields.String(allow_none=True)
    body = fields.String()
    body_html = fields.String()
    fields_ = fields.Raw(data_key="fields", attribute="fields")
    knowledge_level = fields.String()
    state = fields.String()
    step = fields.String(allow_none=True)
    revision = fields.Integer()
    publish_at = fields.AwareDateTime(allow_none=True)
    published_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    my_actions = fields.List(fields.String())
    history = fields.List(fields.Nested(TransitionOut), allow_none=True)
    accepted_answer_id = fields.UUID(allow_none=True)
    by_expert = fields.Boolean()
    locked = fields.Boolean()
    hidden = fields.Boolean()
    #: in ``get_content`` only
    reactions = fields.Dict(keys=fields.String(), values=fields.Integer())
    comments_count = fields.Integer()
    registrations_count = fields.Integer()  #: a course's


class FeedItemOut(ContentOut):
    """An item as a feed shows it: its beginning (``excerpt`` of the Markdown body, ``truncated``
    when there is more), not its body; dumped with ``only=FEED_ITEM_FIELDS``."""

    excerpt = fields.String()
    truncated = fields.Boolean()


#: what a feed shows of an item (``FeedItemOut``)
FEED_ITEM_FIELDS = (
    "id", "community_id", "space_id", "type", "parent_id", "author_id", "title", "excerpt", "truncated", "fields_",
    "knowledge_level", "revision", "published_at", "updated_at", "accepted_answer_id", "by_expert", "locked",
    "my_actions",
)  # fmt: skip


class SavedContentOut(ContentOut):
    """The answer to a save: the item, and whether it was merged with a concurrent save."""

    merged = fields.Boolean()


class RevisionOut(Schema):
    number = fields.Integer()
    title = fields.String(allow_none=True)
    body = fields.String()
    fields_ = fields.Raw(data_key="fields", attribute="fields")
    author_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()


class VersionOut(Schema):
    """One side of an edit conflict (``base``, ``theirs``, ``yours``, ``proposal``)."""

    revision = fields.Integer(allow_none=True)
    title = fields.String(allow_none=True)
    body = fields.String()
    fields_ = fields.Raw(data_key="fields", attribute="fields")


class ContentTypeOut(Schema):
    name = fields.String()
    module = fields.String()
    title = fields.String()
    description = fields.String()
    titled = fields.Boolean()
    parent = fields.String(allow_none=True)
    co_edited = fields.Boolean()
    fields_ = fields.Raw(data_key="fields", attribute="fields")


# -- discussion ---------------------------------------------------------------------------------

#: a comment's Markdown, in characters
COMMENT_MAX = 10_000


class NewComment(_Strict):
    body = fields.String(required=True, validate=validate.Length(min=1, max=COMMENT_MAX))
    parent_id = fields.String(load_default=None, allow_none=True)


class Reaction(_Strict):
    reaction = fields.String(required=True, validate=validate.OneOf(REACTIONS))


class NewAnswer(_Strict):
    body = fields.String(required=True, validate=validate.Length(min=1))
    knowledge_level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KNOWLEDGE_LEVELS))


class CommentOut(Schema):
    id = fields.UUID()
    content_id = fields.UUID()
    parent_id = fields.UUID(allow_none=True)
    author_id = fields.UUID(allow_none=True)
    body = fields.String()
    body_html = fields.String()
    created_at = fields.AwareDateTime()


class ReactionsOut(Schema):
    content_id = fields.UUID()
    reactions = fields.Dict(keys=fields.String(), values=fields.Integer())
    mine = fields.List(fields.String())


# -- courses ------------------------------------------------------------------------------------


class Completion(_Strict):
    user_id = fields.String(required=True)


class RegistrationOut(Schema):
    course_id = fields.UUID()
    user_id = fields.UUID()
    registered_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    completed_by = fields.UUID(allow_none=True)


# -- moderation ---------------------------------------------------------------------------------------


class NewReport(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    category = fields.String(required=True, validate=validate.OneOf(REPORT_CATEGORIES))


class Lock(_Strict):
    locked = fields.Boolean(required=True)


class CrisisMode(_Strict):
    crisis = fields.Boolean(required=True)
    slow_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=3600))


class NewSanction(_Strict):
    user_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SANCTION_KINDS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    until = fields.AwareDateTime(load_default=None, allow_none=True)


class HidingReason(_Strict):
    """Why a moderator hides an item or puts it back (kept in the audit, never in an event)."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ReportThreshold(_Strict):
    report_threshold = fields.Integer(required=True, validate=validate.Range(min=1, max=100))


class ReportOut(Schema):
    id = fields.String()
    content_id = fields.String()
    category = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()


class LockOut(Schema):
    content_id = fields.String(attribute="id")
    locked = fields.Boolean()


class CrisisModeOut(Schema):
    space_id = fields.String()
    community_id = fields.String()
    crisis = fields.Boolean()
    slow_seconds = fields.Integer()
    changed_by = fields.String()
    changed_at = fields.DateTime()


class SanctionOut(Schema):
    id = fields.String()
    community_id = fields.String()
    user_id = fields.String()
    kind = fields.String()
    reason = fields.String()
    until = fields.DateTime(allow_none=True)
    by = fields.String()
    at = fields.DateTime()


class HidingOut(Schema):
    """One line of an item's audit of hidings: ``action`` hide or unhide, ``cause`` reports (``reason``
    and ``by`` null) or moderator."""

    id = fields.String()
    content_id = fields.String()
    action = fields.String()
    cause = fields.String()
    reason = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = fields.DateTime()


class ModerationSettingsOut(Schema):
    community_id = fields.String()
    report_threshold = fields.Integer()
