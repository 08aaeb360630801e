"""Course registrations and completions on a real PublishingService (and SpacesService): who may
register (a reader of a published course, within its capacity and until its end), who marks a
completion (its author or a validator), idempotence, paging, and the events in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kernel import errors
from kernel.events.catalog import COURSE_COMPLETED, COURSE_REGISTERED
from tests.publishing.interface.conftest import events, published


def refused(call, *args) -> errors.ServiceError:
    """The kernel error that ``call(*args)`` raises."""
    with pytest.raises(errors.ServiceError) as caught:
        call(*args)
    return caught.value


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


@pytest.fixture
def school(world):
    """A community with the courses module: a teacher, an expert (``validate``) and two members."""
    place = world(modules=["news", "forum", "courses"])
    people = {
        "teacher": place.join(),
        "expert": place.join(role="expert"),
        "ann": place.join(),
        "bob": place.join(),
    }
    return place, people


def course(publishing, place, author, starts=1.0, ends=2.0, **fields) -> dict:
    data = {"starts_at": at(starts), "ends_at": at(ends), **fields}
    return published(publishing, author, place.public, type="course", title="GIS 101", body="Learn.", fields=data)


def test_a_reader_registers_once_and_the_event_says_where(publishing, school, pdb):
    place, people = school
    item = course(publishing, place, people["teacher"])
    first = publishing.register(people["ann"], item["id"])
    again = publishing.register(people["ann"], item["id"])
    assert first == again
    assert (first["course_id"], first["user_id"], first["completed_at"]) == (
        item["id"],
        people["ann"]["user_id"],
        None,
    )
    registered = events(pdb, COURSE_REGISTERED, f"content/{item['id']}")
    assert registered == [
        {
            "course_id": item["id"],
            "community_id": place.id,
            "space_id": place.public,
            "knowledge_level": item["knowledge_level"],
            "user_id": people["ann"]["user_id"],
        }
    ]


def test_a_course_holds_its_capacity_and_closes_at_its_end(publishing, school):
    place, people = school
    small = course(publishing, place, people["teacher"], capacity=1)
    publishing.register(people["ann"], small["id"])
    assert refused(publishing.register, people["bob"], small["id"]).code == "course-full"
    assert publishing.register(people["ann"], small["id"])["user_id"] == people["ann"]["user_id"]

    over = course(publishing, place, people["teacher"], starts=-3, ends=-1)
    assert refused(publishing.register, people["bob"], over["id"]).code == "course-over"


def test_only_a_published_course_takes_registrations(publishing, school):
    place, people = school
    item = published(publishing, people["teacher"], place.public)
    not_course = refused(publishing.register, people["ann"], item["id"])
    assert (type(not_course).__name__, not_course.code) == ("Unprocessable", "not-a-course")
    data = {"starts_at": at(1), "ends_at": at(2)}
    draft = publishing.create_content(
        people["teacher"], place.public, {"type": "course", "title": "Soon", "fields": data}
    )
    assert type(refused(publishing.register, people["ann"], draft["id"])).__name__ == "NotFound"


def test_the_author_or_a_validator_marks_a_completion_once(publishing, school, pdb):
    place, people = school
    item = course(publishing, place, people["teacher"])
    for name in ("ann", "bob"):
        publishing.register(people[name], item["id"])
    ann, bob = people["ann"]["user_id"], people["bob"]["user_id"]

    assert type(refused(publishing.complete, people["bob"], item["id"], ann)).__name__ == "PermissionDenied"
    missing = refused(publishing.complete, people["teacher"], item["id"], people["expert"]["user_id"])
    assert (type(missing).__name__, missing.code) == ("NotFound", "registration-not-found")

    done = publishing.complete(people["teacher"], item["id"], ann)
    assert (done["completed_by"], done["completed_at"] is not None) == (people["teacher"]["user_id"], True)
    assert publishing.complete(people["expert"], item["id"], ann) == done
    assert publishing.complete(people["expert"], item["id"], bob)["completed_by"] == people["expert"]["user_id"]

    completed = events(pdb, COURSE_COMPLETED, f"content/{item['id']}")
    assert [(e["user_id"], e["completed_by"]) for e in completed] == [
        (ann, people["teacher"]["user_id"]),
        (bob, people["expert"]["user_id"]),
    ]
    assert completed[0]["completed_at"] == done["completed_at"]


def test_the_registrations_are_listed_to_the_organizers_page_by_page(publishing, school):
    place, people = school
    item = course(publishing, place, people["teacher"])
    for name in ("ann", "bob"):
        publishing.register(people[name], item["id"])
    first = publishing.list_registrations(people["teacher"], item["id"], 1, None)
    rest = publishing.list_registrations(people["expert"], item["id"], 10, first["next"])
    listed = [r["user_id"] for r in first["items"] + rest["items"]]
    assert listed == [people["ann"]["user_id"], people["bob"]["user_id"]]
    assert rest["next"] is None
    assert type(refused(publishing.list_registrations, people["ann"], item["id"], 10, None)).__name__ == (
        "PermissionDenied"
    )
