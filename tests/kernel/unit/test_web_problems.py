import json

from kernel import errors
from kernel.web import PROBLEMS, problem_from_exception


def body(response):
    return json.loads(response.get_data())


def test_every_service_error_maps_to_a_problem_with_a_stable_type():
    for cls, (status, _title) in PROBLEMS.items():
        response = problem_from_exception(cls("it broke"))
        assert response.status_code == status
        assert response.mimetype == "application/problem+json"
        payload = body(response)
        assert payload["type"] == f"urn:ecommunity:problem:{cls.default_code}"
        assert payload["detail"] == "it broke"


def test_a_specific_code_and_details_reach_the_client():
    exc = errors.InvalidInput("bad", {"errors": {"email": ["Not a valid email address."]}}, code="invalid-email")
    payload = body(problem_from_exception(exc))
    assert payload["type"] == "urn:ecommunity:problem:invalid-email"
    assert payload["errors"] == {"email": ["Not a valid email address."]}


def test_rate_limited_sets_retry_after():
    response = problem_from_exception(errors.RateLimited("slow down", {"retry_after": 30}))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"


def test_an_unexpected_exception_is_a_500_without_details():
    payload = body(problem_from_exception(KeyError("secret internals")))
    assert payload["status"] == 500
    assert "secret" not in json.dumps(payload)


def test_errors_cross_rpc_as_themselves():
    from nameko.exceptions import deserialize, serialize

    exc = errors.Conflict("taken", {"field": "email", "retry_after": 60, "allowed": ["a"]}, code="email-taken")
    back = deserialize(serialize(exc))
    assert type(back) is errors.Conflict
    assert back.detail == "taken"
    assert back.code == "email-taken"
    assert back.extra["field"] == "email"
    assert back.extra["retry_after"] == 60
    assert back.extra["allowed"] == ["a"]


def test_details_never_replace_the_members_rfc_9457_defines():
    exc = errors.Conflict("closed", {"status": "approved", "title": "x", "type": "y", "state": "live"}, code="closed")
    response = problem_from_exception(exc)
    payload = body(response)
    assert response.status_code == payload["status"] == 409
    assert payload["type"] == "urn:ecommunity:problem:closed"
    assert payload["title"] != "x"
    assert payload["state"] == "live"
