"""The gateway's RPC path: correlation ids travel, and a silent service is a 503 that names it."""

import time
from datetime import UTC, datetime
from typing import ClassVar

import eventlet
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from kernel.web import PROBLEM_CONTENT_TYPE


class ContextData(DependencyProvider):
    """The worker's context data, as nameko received it with the call."""

    def get_dependency(self, worker_ctx):
        return worker_ctx.context_data


def answer(name):
    now = datetime.now(UTC).isoformat()
    return {"service": name, "time": now, "database_time": now}


class RecordingIdentity:
    """Stands in for identity and records the correlation id each ping arrived with."""

    name = "identity"
    seen: ClassVar[list[str | None]] = []
    context = ContextData()

    @rpc
    def ping(self):
        RecordingIdentity.seen.append(self.context.get("correlation_id"))
        return answer(self.name)


class SlowHotline:
    """Stands in for hotline and answers after the gateway has stopped waiting."""

    name = "hotline"

    @rpc
    def ping(self):
        eventlet.sleep(2)
        return answer(self.name)


def test_the_correlation_id_travels_into_the_rpc_call(start_gateway, fresh_amqp_uri):
    RecordingIdentity.seen.clear()
    gateway = start_gateway(services=(), replacements=[RecordingIdentity], amqp_uri=fresh_amqp_uri)
    response = gateway.get("/v1/ping/identity", headers={"X-Request-ID": "trace-me-42"})
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == "trace-me-42"
    assert RecordingIdentity.seen == ["trace-me-42"]


def test_a_service_that_does_not_answer_in_time_is_a_503_naming_it(start_gateway):
    gateway = start_gateway(
        services=("identity", "spaces", "publishing", "gamification"), replacements=[SlowHotline], rpc_timeout=0.5
    )
    started = time.monotonic()
    response = gateway.get("/v1/ping")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 503
    assert response.headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"] == "urn:ecommunity:problem:unavailable"
    assert body["services"] == {"hotline": "The hotline service did not answer within 0.5s."}
    assert "hotline" in body["detail"]


def test_a_service_that_is_not_running_is_a_503(start_gateway, fresh_amqp_uri):
    # a vhost of its own: no earlier test left a queue for spaces there
    gateway = start_gateway(services=("identity",), amqp_uri=fresh_amqp_uri)
    response = gateway.get("/v1/ping/spaces")
    assert response.status_code == 503
    assert response.json()["services"] == {"spaces": "The spaces service is not running."}
    assert gateway.get("/v1/ping/identity").status_code == 200
