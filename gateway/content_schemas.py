"""The publishing API's request and response schemas (``gateway.publishing`` declares the routes)."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.charter import UuidText
from gateway.schemas import ResponseSchema
from kernel.events.catalog.publishing import CONTENT_STATES, KNOWLEDGE_LEVELS

#: a revision is a PostgreSQL integer: one past it could only fail in the service
MAX_REVISION = 2**31 - 1
#: what the caller may do with an item (``my_actions``)
ACTIONS = ("edit", "submit", "approve", "reject", "publish", "archive", "restore")
IF_MATCH = "If-Match"
#: the headers of an answer carrying an item, and of a save (OpenAPI)
ETAG = {"ETag": 'The item\'s revision, `"<revision>"`: send it back as `If-Match` when saving.'}
IF_MATCH_HEADER = {
    IF_MATCH: 'The revision the save started from (the `ETag` read, `"<revision>"`): required for co-edited '
    "types (else 428), optional otherwise (else the save is taken as based on the latest revision). A stale "
    "revision is merged three-way, or a 409 `edit-conflict` when the changes overlap."
}
#: ``"<n>"``, ``W/"<n>"`` or a bare ``<n>``
REVISION_TAG = re.compile(r'^(?:W/)?"([0-9]{1,10})"$|^([0-9]{1,10})$')

NO_CONTENT = "No such content item, or the caller may not read it."
ARCHIVED_PLACE = "The community or the space is archived and read-only (`archived`)."
NOT_ALLOWED = (
    "The item's state does not allow this (`transition-not-allowed`, with `allowed`: what the caller may do "
    f"now). Or: {ARCHIVED_PLACE}"
)
MAY_NOT = "The caller may read the item but not do this (`forbidden`)."
KNOWLEDGE_LEVEL = (
    "Who reads the published item besides having `read` in its space. public: nobody more; confidential: "
    "members of the community whose role in the space has `read`; extended: those, and the employees and "
    "partners (token claims `aff`, `org`) of one of the community's organizations. Default: the community's "
    "`default_knowledge_level`."
)
EDIT_CONFLICT = (
    "The save started from an older revision and overlaps a concurrent one (`edit-conflict`): nothing was "
    "saved. The problem carries `base` (the revision the save started from), `theirs` (the current one), "
    "`yours` (what was sent) — each `{revision, title, body, fields}` — a `proposal`: the merge, "
    "with `<<<<<<< theirs` / `=======` / `>>>>>>> yours` markers in the body (theirs kept for a conflicting "
    "title or field), to correct and save again from `current_revision` — and `conflicts`, the parts "
    "(`title`, `body`, `fields.<name>`) edited on both sides."
)


def revision_field(strict: bool = True, **kwargs) -> fields.Integer:
    """A revision number; ``strict=False`` for a query string, where every value is text."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_REVISION), **kwargs)


class IsoDateTime(fields.AwareDateTime):
    """An aware date-time (with its offset), loaded as ISO 8601 text, ready for an RPC."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


# -- request bodies and queries ----------------------------------------------------------------------


def title_field() -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "Required by titled types; untitled ones (reply, answer) take none."},
    )


def body_field() -> fields.String:
    return fields.String(
        metadata={
            "description": "Markdown (CommonMark), rendered and sanitized as `body_html`; at most 100 000 "
            "characters (a 413 `too-large` beyond)."
        }
    )


def type_fields_field() -> fields.Dict:
    # named ``type_fields`` in the schema class, where ``fields`` is marshmallow's module
    return fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        attribute="fields",
        data_key="fields",
        metadata={"description": "The type's own fields (see `GET /v1/content-types`), checked by its schema."},
    )


def knowledge_level_field() -> fields.String:
    return fields.String(validate=validate.OneOf(KNOWLEDGE_LEVELS), metadata={"description": KNOWLEDGE_LEVEL})


class NewContentSchema(Schema):
    type = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "A content type of `GET /v1/content-types` whose module the space enables."},
    )
    title = title_field()
    body = body_field()
    type_fields = type_fields_field()
    knowledge_level = knowledge_level_field()
    parent_id = UuidText(
        allow_none=True,
        metadata={"description": "A reply's topic, an answer's question: a published item the caller reads."},
    )
    publish_at = IsoDateTime(
        allow_none=True,
        metadata={"description": "Scheduled publication: once approved, the item is published at this time."},
    )


class ContentChangesSchema(Schema):
    """A save: the parts sent change; which revision it started from comes as ``If-Match`` or here."""

    title = title_field()
    body = body_field()
    type_fields = type_fields_field()
    knowledge_level = knowledge_level_field()
    base_revision = revision_field(
        metadata={
            "description": "The revision this save started from, instead of the `If-Match` header (both: "
            "the same number, else a 400)."
        }
    )

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not set(data) - {"base_revision"}:
            raise ValidationError("Send at least one part to change (title, body, fields, knowledge_level).", "_schema")


class ContentRejectionSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Why: the author reads it, edits the item and submits it again."},
    )


class RestoreSchema(Schema):
    revision = revision_field(required=True, metadata={"description": "The revision whose content to save again."})


class DiffQuery(Schema):
    from_revision = revision_field(
        strict=False, required=True, data_key="from", metadata={"description": "The older revision."}
    )
    to_revision = revision_field(
        strict=False, required=True, data_key="to", metadata={"description": "The newer revision."}
    )


# -- responses ---------------------------------------------------------------------------------------


class ContentTransitionSchema(ResponseSchema):
    actor_id = fields.String(allow_none=True, metadata={"description": "Who; null: the platform (scheduled)."})
    at = fields.String(required=True, metadata={"format": "date-time", "description": "When."})
    from_state = fields.String(allow_none=True, metadata={"enum": list(CONTENT_STATES)})
    to_state = fields.String(required=True, metadata={"enum": list(CONTENT_STATES)})
    step = fields.String(allow_none=True, metadata={"description": "The validation step's name, if any."})
    reason = fields.String(allow_none=True, metadata={"description": "A rejection's reason."})


class ContentSchema(ResponseSchema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    space_id = fields.String(required=True)
    type = fields.String(required=True, metadata={"example": "news"})
    parent_id = fields.String(allow_none=True, metadata={"description": "A reply's topic, an answer's question."})
    author_id = fields.String(allow_none=True, metadata={"description": "Null once the author erased their account."})
    title = fields.String(allow_none=True, metadata={"description": "Null for untitled types."})
    body = fields.String(metadata={"description": "Markdown, as written."})
    body_html = fields.String(
        metadata={"description": "The body rendered and sanitized: no script, event handler or javascript: link."}
    )
    type_fields = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        attribute="fields",
        data_key="fields",
        metadata={"description": "The type's own fields."},
    )
    knowledge_level = fields.String(required=True, metadata={"enum": list(KNOWLEDGE_LEVELS)})
    state = fields.String(required=True, metadata={"enum": list(CONTENT_STATES)})
    step = fields.String(
        allow_none=True, metadata={"description": "The validation step waiting for a decision (multi_step), or null."}
    )
    revision = fields.Integer(
        required=True, metadata={"description": "The current revision, also sent as the `ETag` header."}
    )
    publish_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    published_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})
    my_actions = fields.List(
        fields.String(metadata={"enum": list(ACTIONS)}), metadata={"description": "What the caller may do now."}
    )
    history = fields.List(
        fields.Nested(ContentTransitionSchema),
        allow_none=True,
        metadata={"description": "Every transition, oldest first; only for who moderates or validates here."},
    )
    merged = fields.Boolean(
        metadata={"description": "In the answer to a save: whether it was merged with a concurrent save."}
    )
    accepted_answer_id = fields.String(
        allow_none=True, metadata={"description": "A question's accepted answer, or null."}
    )
    by_expert = fields.Boolean(metadata={"description": "An answer written by a verified expert."})
    reactions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "In `GET /v1/contents/{id}`: how many readers added each reaction."},
    )
    comments_count = fields.Integer(metadata={"description": "In `GET /v1/contents/{id}`: its visible comments."})
    registrations_count = fields.Integer(
        metadata={"description": "In `GET /v1/contents/{id}` of a course: how many registered."}
    )
    locked = fields.Boolean(metadata={"description": "Locked by a moderator: no new comment, reply or answer."})
    hidden = fields.Boolean(
        metadata={"description": "Hidden (by reports or a moderator): seen only by its author and moderators."}
    )


class FeedItemSchema(ContentSchema):
    """An item in a feed: its beginning, not its body (the whole item: `GET /v1/contents/{id}`)."""

    class Meta(ContentSchema.Meta):
        # what only the whole item shows (services/publishing/schemas.py: FEED_ITEM_FIELDS)
        exclude = (
            "body", "body_html", "state", "step", "publish_at", "created_at", "history", "merged", "reactions",
            "comments_count", "registrations_count", "hidden",
        )  # fmt: skip

    excerpt = fields.String(
        required=True,
        metadata={
            "description": "The first 280 characters of the Markdown body, as written: text to show or to render "
            "with a sanitizer, never HTML."
        },
    )
    truncated = fields.Boolean(metadata={"description": "Whether the body goes on after the excerpt."})
    revision = fields.Integer(required=True)  # a card carries no ETag


class RevisionSchema(ResponseSchema):
    number = fields.Integer(required=True)
    title = fields.String(allow_none=True)
    body = fields.String()
    type_fields = fields.Dict(keys=fields.String(), values=fields.Raw(), attribute="fields", data_key="fields")
    author_id = fields.String(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})


class ValueChangeSchema(ResponseSchema):
    before = fields.Raw(data_key="from", attribute="from", metadata={"description": "The older value (null: none)."})
    after = fields.Raw(data_key="to", attribute="to", metadata={"description": "The newer value (null: none)."})


class DiffSchema(ResponseSchema):
    from_revision = fields.Integer(metadata={"description": "The older revision."})
    to_revision = fields.Integer(metadata={"description": "The newer revision."})
    title = fields.Nested(
        ValueChangeSchema, allow_none=True, metadata={"description": "The title's change; null: the same."}
    )
    body = fields.String(
        metadata={"description": "Unified diff of the body, line by line; empty when the lines are the same."}
    )
    type_fields = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ValueChangeSchema),
        attribute="fields",
        data_key="fields",
        metadata={"description": "Each changed field of the type, by name."},
    )


class ContentFieldSchema(ResponseSchema):
    name = fields.String(required=True)
    type = fields.String(required=True, metadata={"example": "string"})
    required = fields.Boolean(required=True)


class ContentTypeSchema(ResponseSchema):
    name = fields.String(required=True, metadata={"example": "news"})
    module = fields.String(required=True, metadata={"description": "The module a space enables for this type."})
    title = fields.String()
    description = fields.String()
    titled = fields.Boolean(metadata={"description": "Whether an item has a title."})
    parent = fields.String(allow_none=True, metadata={"description": "The type of a child's parent, or null."})
    co_edited = fields.Boolean(metadata={"description": "Whether co-editors may save it (`If-Match` required)."})
    type_fields = fields.List(
        fields.Nested(ContentFieldSchema),
        attribute="fields",
        data_key="fields",
        metadata={"description": "The type's own fields."},
    )


class ContentTypeListSchema(ResponseSchema):
    items = fields.List(fields.Nested(ContentTypeSchema), required=True)


# -- If-Match and ETag -------------------------------------------------------------------------------
