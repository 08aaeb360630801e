"""The content types shipped with the platform (docs/publishing.md, "Content types").

``pyproject.toml`` declares each as an ``ecommunity.content_types`` entry point, so another package can
add its own the same way. Each ``fields`` schema is strict (an unknown key is refused) and holds only
what is specific to the type; title, body, knowledge level and the rest are common to every item.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.publishing.plugins import ContentType

WEB = frozenset({"http", "https"})  # no javascript:, data: or file: link is ever stored in fields


class StrictFields(Schema):
    """Base of every ``fields`` schema: a key the type does not define is an error, not ignored."""

    class Meta:
        unknown = RAISE


class NoFields(StrictFields):
    """Types whose items have nothing beyond the common title and body: ``fields`` must be empty."""


def _text(maximum: int, *, required: bool = False, minimum: int = 0) -> fields.String:
    """A string of at most ``maximum`` characters; an optional one may also be sent as null."""
    return fields.String(required=required, allow_none=not required, validate=validate.Length(minimum, maximum))


def _url() -> fields.URL:
    """An optional absolute http(s) URL."""
    return fields.URL(schemes=set(WEB), allow_none=True)


def _check_order(data: dict[str, Any]) -> None:
    """``ends_at`` after ``starts_at`` (when both are there); the error is reported on ``ends_at``."""
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if starts_at is None or ends_at is None:
        return
    if ends_at <= starts_at:
        raise ValidationError("Must be after starts_at.", field_name="ends_at")


class NewsFields(StrictFields):
    """A news item may carry a short summary (≤ 500 characters) shown in feeds."""

    summary = _text(500)


class QuestionFields(StrictFields):
    """A question's tags: at most 10, each 1..40 characters."""

    tags = fields.List(
        fields.String(validate=validate.Length(1, 40)), allow_none=True, validate=validate.Length(max=10)
    )


class PressItem(StrictFields):
    """One article of a press review: where it is, its headline and what the reviewer says of it."""

    url = fields.URL(schemes=set(WEB), required=True)
    title = _text(300, required=True, minimum=1)
    summary = _text(2000)


class PressReviewFields(StrictFields):
    """A press review issue: its label (≤ 40 characters) and its 1..50 articles."""

    issue = _text(40, required=True, minimum=1)
    items = fields.List(fields.Nested(PressItem), required=True, validate=validate.Length(1, 50))


class CourseFields(StrictFields):
    """A course: when it runs (both ends required, ends after it starts), where, how many may enrol
    and which organization offers it."""

    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    places = fields.List(
        fields.String(validate=validate.Length(1, 300)), allow_none=True, validate=validate.Length(max=20)
    )
    capacity = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1))
    organization_id = fields.UUID(allow_none=True)

    @validates_schema
    def _ends_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_order(data)


class MeetingFields(StrictFields):
    """A meeting: when it starts (required); where, when it ends (after it starts), its stream and
    recording links, all optional."""

    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    place = _text(300)
    stream_url = _url()
    recording_url = _url()

    @validates_schema
    def _ends_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_order(data)


NEWS = ContentType("news", "news", "News", "An announcement or news item spread to the community.", NewsFields)
TOPIC = ContentType("topic", "forum", "Topic", "A discussion opened in the forum.", NoFields)
REPLY = ContentType("reply", "forum", "Reply", "A reply in a forum topic.", NoFields, titled=False, parent="topic")
DOCUMENT = ContentType(
    "document", "documents", "Document", "A document members write and edit together.", NoFields, co_edited=True
)
QUESTION = ContentType("question", "qa", "Question", "A question asked to the community.", QuestionFields)
ANSWER = ContentType("answer", "qa", "Answer", "An answer to a question.", NoFields, titled=False, parent="question")
PRESS_REVIEW = ContentType(
    "press_review", "press_review", "Press review", "An issue of curated press articles.", PressReviewFields
)
COURSE = ContentType("course", "courses", "Course", "A course or training members may enrol in.", CourseFields)
MEETING = ContentType("meeting", "meetings", "Meeting", "A meeting or event, in a place or online.", MeetingFields)
