"""The gateway's own operations, with the RPC dependency mocked (nameko's worker_factory)."""

import json

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.pagination import decode_cursor
from gateway.rpc import UpstreamFailure, rpc_failure
from gateway.service import GatewayService
from kernel import errors
from kernel.config import SERVICES
from kernel.web import problem_from_exception


def get(path="/", query=None):
    return Request(EnvironBuilder(method="GET", path=path, query_string=query).get_environ())


def answer(service):
    return {"service": service, "time": "2025-01-01T00:00:00+00:00", "database_time": "2025-01-01T00:00:00+00:00"}


@pytest.fixture
def gateway():
    return worker_factory(GatewayService)


def test_ping_all_reports_every_service_s_answer(gateway):
    gateway.services.call_each.return_value = {name: answer(name) for name in SERVICES}
    response = gateway.ping_all(get())
    gateway.services.call_each.assert_called_once_with(SERVICES, "ping")
    assert response.status_code == 200
    assert json.loads(response.get_data()) == {"status": "ok", "services": {n: answer(n) for n in SERVICES}}


def test_ping_all_is_a_503_naming_each_service_that_failed(gateway):
    outcomes = {name: answer(name) for name in SERVICES}
    outcomes["hotline"] = rpc_failure("hotline", "ping", errors.Unavailable("The hotline service is not running."), 1)
    outcomes["spaces"] = UpstreamFailure("spaces", "ping", RuntimeError("db password wrong"))
    gateway.services.call_each.return_value = outcomes
    with pytest.raises(errors.Unavailable) as caught:
        gateway.ping_all(get())
    response = problem_from_exception(caught.value)
    body = json.loads(response.get_data())
    assert response.status_code == 503
    assert set(body["services"]) == {"hotline", "spaces"}
    assert "hotline" in body["detail"]
    assert "spaces" in body["detail"]
    assert "password" not in response.get_data(as_text=True)


def test_ping_one_pings_only_that_service(gateway):
    gateway.services.call_each.return_value = {"identity": answer("identity")}
    response = gateway.ping_one(get(), service="identity")
    gateway.services.call_each.assert_called_once_with(["identity"], "ping")
    assert json.loads(response.get_data())["services"] == {"identity": answer("identity")}


def test_ping_one_of_an_unknown_service_is_a_404_without_calling_anything(gateway):
    with pytest.raises(errors.NotFound) as caught:
        gateway.ping_one(get(), service="billing")
    assert caught.value.code == "unknown-service"
    assert not gateway.services.call_each.called


def test_the_services_list_pages_by_cursor(gateway):
    first = json.loads(gateway.list_services(get(query="limit=3")).get_data())
    assert [item["name"] for item in first["items"]] == sorted(SERVICES)[:3]
    assert decode_cursor(first["next_cursor"]) == {"name": sorted(SERVICES)[2]}
    second = json.loads(gateway.list_services(get(query={"limit": 3, "cursor": first["next_cursor"]})).get_data())
    assert [item["name"] for item in second["items"]] == sorted(SERVICES)[3:]
    assert second["next_cursor"] is None
    assert second["items"][0]["ping"] == f"/v1/ping/{sorted(SERVICES)[3]}"


def test_the_readiness_answer_follows_the_checks(gateway):
    gateway.readiness.return_value = {"rabbitmq": "ok", "postgresql": "PostgreSQL is not reachable"}
    response = gateway.readyz(get())
    assert response.status_code == 503
    assert json.loads(response.get_data())["checks"]["postgresql"] == "PostgreSQL is not reachable"
