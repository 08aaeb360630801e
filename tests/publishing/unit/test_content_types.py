"""Content types: the entry points resolve to the nine declared types, each type's ``fields`` schema
is strict and returns JSON-ready values, and an unknown type is a 422 ``unknown-type``."""

import json
from importlib.metadata import EntryPoint

import pytest
from marshmallow import Schema, fields

from kernel import errors
from services.publishing import plugins
from services.publishing.plugins import ContentType, content_type, content_types
from services.publishing.plugins.types import COURSE, DOCUMENT, MEETING, NEWS, PRESS_REVIEW, QUESTION, REPLY, TOPIC

ORGANIZATION = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


def _errors(caught: pytest.ExceptionInfo) -> dict:
    return caught.value.extra["errors"]["fields"]


# -- the registry ------------------------------------------------------------------------------------


def test_the_nine_types_are_installed_with_their_module_parent_and_co_edition():
    found = {name: (kind.module, kind.titled, kind.parent, kind.co_edited) for name, kind in content_types().items()}
    assert found == {
        "news": ("news", True, None, False),
        "topic": ("forum", True, None, False),
        "reply": ("forum", False, "topic", False),
        "document": ("documents", True, None, True),
        "question": ("qa", True, None, False),
        "answer": ("qa", False, "question", False),
        "press_review": ("press_review", True, None, False),
        "course": ("courses", True, None, False),
        "meeting": ("meetings", True, None, False),
    }


def test_content_type_finds_a_type_by_name():
    assert content_type("document") is DOCUMENT


@pytest.mark.parametrize("name", ["poll", "", "News", None, ["news"]])
def test_an_unknown_type_is_unprocessable_with_the_error_on_type(name):
    with pytest.raises(errors.Unprocessable) as caught:
        content_type(name)
    assert caught.value.code == "unknown-type"
    assert list(caught.value.extra["errors"]) == ["type"]
    assert "news" in caught.value.extra["errors"]["type"][0]


def _with_entry_points(monkeypatch, *points: EntryPoint) -> None:
    monkeypatch.setattr(plugins, "entry_points", lambda group: points if group == plugins.CONTENT_TYPES_GROUP else ())
    content_types.cache_clear()


@pytest.fixture
def fresh_registry():
    content_types.cache_clear()
    yield
    content_types.cache_clear()


@pytest.mark.usefixtures("fresh_registry")
def test_an_entry_point_that_is_not_a_content_type_is_refused(monkeypatch):
    _with_entry_points(
        monkeypatch, EntryPoint("news", "services.spaces.plugins.modules:NEWS", plugins.CONTENT_TYPES_GROUP)
    )
    with pytest.raises(TypeError, match="not a ContentType"):
        content_types()


@pytest.mark.usefixtures("fresh_registry")
def test_an_entry_point_named_unlike_its_type_is_refused(monkeypatch):
    point = EntryPoint("article", "services.publishing.plugins.types:NEWS", plugins.CONTENT_TYPES_GROUP)
    _with_entry_points(monkeypatch, point)
    with pytest.raises(ValueError, match="'news'"):
        content_types()


def test_the_registry_is_loaded_once():
    assert content_types() is content_types()


# -- describe ----------------------------------------------------------------------------------------


def test_describe_lists_the_fields_with_their_type_and_whether_required():
    described = COURSE.describe()
    assert described["name"] == "course"
    assert described["module"] == "courses"
    assert described["titled"] is True
    assert described["parent"] is None
    assert described["co_edited"] is False
    assert described["fields"] == [
        {"name": "starts_at", "type": "datetime", "required": True},
        {"name": "ends_at", "type": "datetime", "required": True},
        {"name": "places", "type": "list", "required": False},
        {"name": "capacity", "type": "integer", "required": False},
        {"name": "organization_id", "type": "uuid", "required": False},
    ]


def test_describe_of_every_type_is_json():
    for kind in content_types().values():
        assert json.loads(json.dumps(kind.describe())) == kind.describe()
    assert REPLY.describe()["fields"] == []
    assert {field["name"]: field["type"] for field in MEETING.describe()["fields"]}["stream_url"] == "url"


def test_describe_names_a_field_by_its_data_key():
    class Keyed(Schema):
        internal = fields.String(data_key="shown", required=True)

    kind = ContentType("keyed", "news", "Keyed", "A test type.", Keyed)
    assert kind.describe()["fields"] == [{"name": "shown", "type": "string", "required": True}]


# -- fields: strict, and JSON-ready -------------------------------------------------------------------


@pytest.mark.parametrize("kind", [TOPIC, REPLY, DOCUMENT])
def test_types_without_fields_accept_nothing_but_an_empty_object(kind):
    assert kind.load_fields({}) == {}
    assert kind.load_fields(None) == {}
    with pytest.raises(errors.InvalidInput) as caught:
        kind.load_fields({"summary": "x"})
    assert "summary" in _errors(caught)


def test_fields_that_are_not_an_object_are_invalid():
    with pytest.raises(errors.InvalidInput) as caught:
        NEWS.load_fields(["summary"])
    assert caught.value.extra["errors"]["fields"]


def test_news_summary_is_optional_and_limited():
    assert NEWS.load_fields({}) == {}
    assert NEWS.load_fields({"summary": "Short."}) == {"summary": "Short."}
    with pytest.raises(errors.InvalidInput) as caught:
        NEWS.load_fields({"summary": "x" * 501})
    assert list(_errors(caught)) == ["summary"]
    assert caught.value.code == "invalid-input"


def test_an_unknown_key_is_refused_next_to_a_valid_one():
    with pytest.raises(errors.InvalidInput) as caught:
        NEWS.load_fields({"summary": "ok", "author": "me"})
    assert list(_errors(caught)) == ["author"]


def test_question_tags_are_at_most_ten_strings_of_at_most_40():
    assert QUESTION.load_fields({"tags": ["python", "nameko"]}) == {"tags": ["python", "nameko"]}
    for tags in (["t"] * 11, ["x" * 41], [3], "python"):
        with pytest.raises(errors.InvalidInput) as caught:
            QUESTION.load_fields({"tags": tags})
        assert "tags" in _errors(caught)


def _press_item(**overrides):
    return {"url": "https://news.example.org/a", "title": "A headline", "summary": "Why it matters."} | overrides


def test_a_press_review_has_an_issue_and_1_to_50_items():
    loaded = PRESS_REVIEW.load_fields({"issue": "2026-W47", "items": [_press_item()]})
    assert loaded == {"issue": "2026-W47", "items": [_press_item()]}
    for data in (
        {"items": [_press_item()]},
        {"issue": "x" * 41, "items": [_press_item()]},
        {"issue": "1"},
        {"issue": "1", "items": []},
        {"issue": "1", "items": [_press_item()] * 51},
    ):
        with pytest.raises(errors.InvalidInput):
            PRESS_REVIEW.load_fields(data)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://example.org/x", "/relative"]
)
def test_press_items_link_over_http_only(url):
    with pytest.raises(errors.InvalidInput) as caught:
        PRESS_REVIEW.load_fields({"issue": "1", "items": [_press_item(url=url)]})
    assert _errors(caught) == {"items": {0: {"url": ["Not a valid URL."]}}}


def test_a_press_item_refuses_unknown_keys():
    with pytest.raises(errors.InvalidInput) as caught:
        PRESS_REVIEW.load_fields({"issue": "1", "items": [_press_item(image="https://example.org/i.png")]})
    assert "image" in _errors(caught)["items"][0]


def test_a_course_comes_back_json_ready():
    loaded = COURSE.load_fields(
        {
            "starts_at": "2026-12-01T09:00:00+01:00",
            "ends_at": "2026-12-01T17:00:00+01:00",
            "places": ["Lyon", "Online"],
            "capacity": 12,
            "organization_id": ORGANIZATION,
        }
    )
    assert loaded == {
        "starts_at": "2026-12-01T09:00:00+01:00",
        "ends_at": "2026-12-01T17:00:00+01:00",
        "places": ["Lyon", "Online"],
        "capacity": 12,
        "organization_id": ORGANIZATION,
    }
    assert json.loads(json.dumps(loaded)) == loaded


def test_a_course_ends_after_it_starts():
    with pytest.raises(errors.InvalidInput) as caught:
        COURSE.load_fields({"starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T10:00:00+02:00"})
    assert _errors(caught) == {"ends_at": ["Must be after starts_at."]}
    with pytest.raises(errors.InvalidInput):
        COURSE.load_fields({"starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T09:00:00Z"})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"ends_at": "2026-12-01T10:00:00Z"}, "starts_at"),
        ({"starts_at": "2026-12-01T10:00:00Z"}, "ends_at"),
        ({"starts_at": "2026-12-01T09:00:00", "ends_at": "2026-12-01T10:00:00Z"}, "starts_at"),  # naive
        ({"starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T10:00:00Z", "capacity": 0}, "capacity"),
        ({"starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T10:00:00Z", "capacity": 2.5}, "capacity"),
        ({"starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T10:00:00Z", "places": ["p"] * 21}, "places"),
        (
            {"starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T10:00:00Z", "organization_id": "x"},
            "organization_id",
        ),
    ],
)
def test_course_field_errors_name_the_field(data, field):
    with pytest.raises(errors.InvalidInput) as caught:
        COURSE.load_fields(data)
    assert field in _errors(caught)


def test_a_meeting_needs_only_its_start():
    assert MEETING.load_fields({"starts_at": "2026-12-01T18:30:00Z"}) == {"starts_at": "2026-12-01T18:30:00+00:00"}
    full = {
        "starts_at": "2026-12-01T18:30:00+00:00",
        "ends_at": "2026-12-01T20:00:00+00:00",
        "place": "Room 4",
        "stream_url": "https://meet.example.org/abc",
        "recording_url": "http://videos.example.org/abc",
    }
    assert MEETING.load_fields(full) == full


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "starts_at"),
        ({"starts_at": "2026-12-01T18:30:00Z", "stream_url": "javascript:alert(1)"}, "stream_url"),
        ({"starts_at": "2026-12-01T18:30:00Z", "recording_url": "file:///etc/passwd"}, "recording_url"),
        ({"starts_at": "2026-12-01T18:30:00Z", "ends_at": "2026-12-01T18:00:00Z"}, "ends_at"),
    ],
)
def test_meeting_field_errors_name_the_field(data, field):
    with pytest.raises(errors.InvalidInput) as caught:
        MEETING.load_fields(data)
    assert field in _errors(caught)


def test_field_errors_survive_the_trip_through_json():
    """``extra`` crosses RPC as JSON text: the error must say the same on the other side."""
    with pytest.raises(errors.InvalidInput) as caught:
        NEWS.load_fields({"summary": 3})
    restored = errors.InvalidInput(caught.value.detail, extra=json.dumps(caught.value.extra))
    assert restored.extra["errors"]["fields"] == {"summary": ["Not a valid string."]}
