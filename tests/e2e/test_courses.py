"""Course registrations and completions through the gateway, with the real identity, spaces and
publishing processes: a member registers (once), a full course refuses the next one, the author marks
a completion, the registrations are listed to the author only, and the events reach the outbox."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from kernel.events.catalog import COURSE_COMPLETED, COURSE_REGISTERED
from tests.support.publishing import act, join, known_member, live_community, new_user, publishing_stack, write
from tests.support.records import events, schema_connection
from tests.support.spaces import call, make_user, ok, problem

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with publishing_stack(database_url, amqp_uri, tmp_path_factory.mktemp("courses")) as stack:
        yield stack


@pytest.fixture(scope="module")
def url(platform):
    return platform[0]


@pytest.fixture
def outbox(database_url):
    """An autocommit connection to the publishing schema, to read its outbox."""
    with closing(schema_connection(database_url, "publishing")) as conn:
        yield conn


@pytest.fixture(scope="module")
def school(platform, url):
    """A live interest community with the courses module: a teacher and two members."""
    _, settings = platform
    owner = make_user(url, "community_creator", settings, name="Owner")[1]
    community_id, spaces = live_community(url, owner, "interest")
    ok(call(url, "PUT", f"/v1/communities/{community_id}/modules", owner, {"modules": ["news", "courses"]}))
    people = {name: new_user(url, name.title()) for name in ("teacher", "ann", "bob")}
    for person in people.values():
        join(url, community_id, person, owner)
        known_member(url, person, spaces["Members"]["id"])
    return spaces["Public"]["id"], people


def test_a_member_registers_the_author_marks_the_completion_and_the_events_follow(url, school, outbox):
    space_id, people = school
    now = datetime.now(UTC)
    fields = {"starts_at": (now + timedelta(days=1)).isoformat(), "ends_at": (now + timedelta(days=2)).isoformat()}
    draft = write(
        url, people["teacher"].token, space_id, type="course", title="GIS 101", fields={**fields, "capacity": 1}
    )
    course = ok(act(url, people["teacher"].token, draft["id"], "submit"))
    registrations = f"/v1/contents/{course['id']}/registrations"
    seen = f"/v1/contents/{course['id']}"
    assert ok(call(url, "GET", seen, people["bob"].token))["registrations_count"] == 0

    mine = ok(call(url, "POST", registrations, people["ann"].token), 201)
    assert ok(call(url, "POST", registrations, people["ann"].token), 201) == mine
    problem(call(url, "POST", registrations, people["bob"].token), 409, "course-full")
    assert ok(call(url, "GET", seen, people["bob"].token))["registrations_count"] == 1  # a full course shows it
    problem(call(url, "POST", registrations, None), 401)

    completions = f"/v1/contents/{course['id']}/completions"
    problem(call(url, "POST", completions, people["bob"].token, {"user_id": people["ann"].id}), 403)
    done = ok(call(url, "POST", completions, people["teacher"].token, {"user_id": people["ann"].id}), 201)
    assert (done["user_id"], done["completed_by"]) == (people["ann"].id, people["teacher"].id)

    listed = ok(call(url, "GET", registrations, people["teacher"].token, params={"limit": 10}))
    assert [(r["user_id"], r["completed_at"]) for r in listed["items"]] == [(people["ann"].id, done["completed_at"])]
    problem(call(url, "GET", registrations, people["ann"].token), 403)

    subject = f"content/{course['id']}"
    assert [e["user_id"] for e in events(outbox, COURSE_REGISTERED, subject)] == [people["ann"].id]
    assert [(e["user_id"], e["completed_by"]) for e in events(outbox, COURSE_COMPLETED, subject)] == [
        (people["ann"].id, people["teacher"].id)
    ]


def test_a_news_item_takes_no_registration(url, school):
    space_id, people = school
    item = write(url, people["teacher"].token, space_id, type="news", title="Not a course", body="x")
    ok(act(url, people["teacher"].token, item["id"], "submit"))
    problem(call(url, "POST", f"/v1/contents/{item['id']}/registrations", people["ann"].token), 422, "not-a-course")
