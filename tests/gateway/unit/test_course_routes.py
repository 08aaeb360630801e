"""The course registration and completion routes with the publishing RPC mocked (nameko's
worker_factory): what each sends to the publishing service, what it refuses before calling it, and
what it answers."""

import uuid

import pytest

from gateway.openapi import build_openapi
from gateway.pagination import decode_cursor, encode_cursor
from gateway.service import GatewayService
from kernel import errors
from kernel.auth import Actor
from tests.gateway.unit.handlers import answered, gateway_as, rpc_calls
from tests.gateway.unit.handlers import request as call

ALICE = Actor(user_id=str(uuid.uuid4()), platform_role="member")
COURSE_ID = uuid.uuid4()
LEARNER = str(uuid.uuid4())
REGISTRATION = {
    "course_id": str(COURSE_ID),
    "user_id": LEARNER,
    "registered_at": "2030-01-02T03:04:05+00:00",
    "completed_at": None,
    "completed_by": None,
}


@pytest.fixture
def gateway():
    return gateway_as(ALICE)


def test_the_course_routes_are_documented_under_their_tag():
    document = build_openapi(GatewayService)
    path = document["paths"]["/v1/contents/{content_id}/registrations"]
    assert path["post"]["tags"] == path["get"]["tags"] == ["courses"]
    completions = document["paths"]["/v1/contents/{content_id}/completions"]["post"]
    assert set(completions["responses"]) >= {"201", "403", "404", "422"}
    assert document["components"]["schemas"]["CourseCompletion"]["required"] == ["user_id"]


def test_a_registration_is_sent_without_a_body_and_answered_201(gateway):
    gateway.services.call.return_value = {**REGISTRATION, "internal": 1}
    assert answered(gateway.register_to_course(call("POST"), content_id=COURSE_ID)) == (201, REGISTRATION)
    assert rpc_calls(gateway) == [("publishing", "register", ALICE.as_dict(), str(COURSE_ID))]


def test_a_completion_names_the_user_in_canonical_form(gateway):
    done = {**REGISTRATION, "completed_at": "2030-02-01T00:00:00+00:00", "completed_by": ALICE.user_id}
    gateway.services.call.return_value = done
    response = gateway.complete_course(call("POST", {"user_id": LEARNER.upper()}), content_id=COURSE_ID)
    assert answered(response) == (201, done)
    assert rpc_calls(gateway) == [("publishing", "complete", ALICE.as_dict(), str(COURSE_ID), LEARNER)]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "user_id"), ({"user_id": "nope"}, "user_id"), ({"user_id": LEARNER, "grade": "A"}, "grade")],
)
def test_bad_completions_are_refused_before_any_call(gateway, body, field):
    with pytest.raises(errors.InvalidInput) as caught:
        gateway.complete_course(call("POST", body), content_id=COURSE_ID)
    assert field in caught.value.extra["errors"]
    assert not gateway.services.call.called


def test_registrations_are_listed_with_a_cursor(gateway):
    position = {"registered_at": REGISTRATION["registered_at"], "user_id": LEARNER}
    gateway.services.call.return_value = {"items": [REGISTRATION], "next": position}
    cursor = encode_cursor({"registered_at": "2030-01-01T00:00:00+00:00", "user_id": LEARNER})
    status, page = answered(
        gateway.list_course_registrations(call("GET", query={"limit": 5, "cursor": cursor}), content_id=COURSE_ID)
    )
    assert (status, page["items"]) == (200, [REGISTRATION])
    assert decode_cursor(page["next_cursor"]) == position
    assert rpc_calls(gateway) == [
        ("publishing", "list_registrations", ALICE.as_dict(), str(COURSE_ID), 5, decode_cursor(cursor)),
    ]


def test_every_course_route_needs_a_token(gateway):
    with pytest.raises(errors.Unauthenticated):
        gateway.register_to_course(call("POST", token=False), content_id=COURSE_ID)
    with pytest.raises(errors.Unauthenticated):
        gateway.complete_course(call("POST", {"user_id": LEARNER}, token=False), content_id=COURSE_ID)
    with pytest.raises(errors.Unauthenticated):
        gateway.list_course_registrations(call("GET", token=False), content_id=COURSE_ID)
    assert not gateway.services.call.called
