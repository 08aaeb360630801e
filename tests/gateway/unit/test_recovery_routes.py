"""The recovery routes' own logic, with the identity RPC mocked (nameko's worker_factory)."""

import json

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.openapi import openapi_json
from gateway.pagination import encode_cursor
from gateway.recovery import _cursor_id
from gateway.service import GatewayService
from kernel import errors


def post(path, body, remote_addr="192.0.2.1"):
    builder = EnvironBuilder(method="POST", path=path, json=body, environ_base={"REMOTE_ADDR": remote_addr})
    return Request(builder.get_environ())


@pytest.fixture
def gateway():
    return worker_factory(GatewayService)


def test_a_reset_request_is_202_without_a_body_and_passes_the_client_address(gateway):
    response = gateway.request_password_reset(post("/v1/auth/password-reset", {"email": "Ana@Example.org"}))
    assert (response.status_code, response.get_data()) == (202, b"")
    gateway.services.call.assert_called_once_with("identity", "request_password_reset", "Ana@Example.org", "192.0.2.1")


def test_a_malformed_reset_request_never_reaches_identity(gateway):
    with pytest.raises(errors.InvalidInput) as caught:
        gateway.request_password_reset(post("/v1/auth/password-reset", {"email": "nope"}))
    assert "email" in caught.value.extra["errors"]
    assert not gateway.services.call.called


def test_verify_and_confirm_answer_204(gateway):
    assert gateway.verify_email(post("/v1/auth/verify-email", {"token": "t"})).status_code == 204
    confirmed = gateway.reset_password(post("/v1/auth/password-reset/confirm", {"token": "t", "password": "p"}))
    assert confirmed.status_code == 204
    assert [c.args[1] for c in gateway.services.call.call_args_list] == ["verify_email", "reset_password"]


def test_a_cursor_continues_before_its_event_id_and_a_forged_one_is_a_400():
    assert _cursor_id(None) is None
    assert _cursor_id({"id": 42}) == 42
    for forged in ({"id": "42"}, {"id": 0}, {"id": True}, {"name": "x"}):
        with pytest.raises(errors.InvalidInput) as caught:
            _cursor_id(forged)
        assert "cursor" in caught.value.extra["errors"]
    assert encode_cursor({"id": 42})  # the form next_cursor takes


def test_the_new_operations_are_documented_with_their_security():
    paths = json.loads(openapi_json(GatewayService))["paths"]
    assert set(paths["/v1/auth/password-reset"]["post"]["responses"]) >= {"202", "400"}
    assert "security" not in paths["/v1/auth/verify-email"]["post"]
    assert paths["/v1/me/password"]["post"]["security"]
    audit = paths["/v1/admin/audit"]["get"]
    assert audit["security"]
    assert {"401", "403", "400"} <= set(audit["responses"])
    assert {p.get("name") for p in audit["parameters"]} >= {"limit", "cursor", "user_id", "kind"}
