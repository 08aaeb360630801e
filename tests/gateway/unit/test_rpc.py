"""RPC failures become the right problems; calls share one deadline and give up cleanly."""

import json
import time

import eventlet
import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import MethodNotFound, RemoteError, RpcTimeout, UnknownService

from gateway import rpc
from kernel import errors
from kernel.web import problem_from_exception


def problem(exc):
    response = problem_from_exception(exc)
    return response.status_code, json.loads(response.get_data())


def test_a_service_error_crosses_as_itself():
    conflict = errors.Conflict("The name is taken.", extra={"field": "name"})
    assert rpc.rpc_failure("spaces", "create", conflict, 10) is conflict
    assert problem(conflict)[0] == 409


@pytest.mark.parametrize(
    ("cause", "code"),
    [
        (RpcTimeout(10), "service-timeout"),
        (UnknownService("hotline"), "service-not-running"),
        (OperationalError("connection refused"), "broker-unavailable"),
        (ConnectionRefusedError(), "broker-unavailable"),
    ],
)
def test_no_answer_is_a_503_naming_the_service(cause, code):
    status, body = problem(rpc.rpc_failure("hotline", "ping", cause, 2.5))
    assert status == 503
    assert body["type"] == f"urn:ecommunity:problem:{code}"
    assert body["service"] == "hotline"


@pytest.mark.parametrize(
    "cause",
    [RemoteError("KeyError", "'password' in /srv/identity/secret.py line 3"), MethodNotFound("ping2")],
)
def test_an_unexpected_remote_error_is_a_500_that_leaks_nothing(cause):
    failure = rpc.rpc_failure("identity", "ping", cause, 10)
    assert isinstance(failure, rpc.UpstreamFailure)
    assert failure.__cause__ is cause
    status, body = problem(failure)
    assert status == 500
    assert "password" not in json.dumps(body)
    assert "identity" not in json.dumps(body)


def test_a_failure_reason_reveals_nothing_internal():
    assert rpc.failure_reason("identity", rpc.UpstreamFailure("identity", "ping", RemoteError("KeyError", "x"))) == (
        "The identity service failed with an unexpected error (logged by the gateway)."
    )
    assert rpc.failure_reason("spaces", errors.NotFound("No such space.")) == "No such space."


class FakeReply:
    """What MethodProxy.call_async returns: ``result()`` waits for the service."""

    def __init__(self, listener, delay, value):
        self.reply_event = eventlet.Event()
        self.listener = listener
        listener._reply_events[id(self)] = self.reply_event
        self.ready_at, self.value = time.monotonic() + delay, value  # the service works from the moment it is sent

    def result(self):
        if time.monotonic() < self.ready_at:  # an answer already there is returned without yielding
            eventlet.sleep(self.ready_at - time.monotonic())
        self.listener._reply_events.pop(id(self))  # as ReplyListener does when the reply arrives
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


class FakeListener:
    def __init__(self):
        self._reply_events = {}


@pytest.fixture
def client(monkeypatch):
    listener = FakeListener()
    behaviour = {}
    sent = []

    class FakeMethodProxy:
        def __init__(self, worker_ctx, service, method, reply_listener, **options):
            self.service = service

        def call_async(self, *args, **kwargs):
            sent.append((self.service, time.monotonic()))
            delay, value = behaviour[self.service]
            if isinstance(value, UnknownService):
                raise value
            return FakeReply(listener, delay, value)

    monkeypatch.setattr(rpc, "MethodProxy", FakeMethodProxy)
    client = rpc.ServiceClient(worker_ctx=None, reply_listener=listener, timeout=0.3)
    client.behaviour, client.sent, client.listener = behaviour, sent, listener
    return client


def test_call_each_sends_every_call_before_waiting_and_shares_one_deadline(client):
    client.behaviour.update(
        identity=(0.05, {"service": "identity"}),
        spaces=(5, {"service": "spaces"}),
        hotline=(0, UnknownService("hotline")),
        publishing=(0.2, {"service": "publishing"}),
    )
    started = time.monotonic()
    outcomes = client.call_each(["identity", "spaces", "hotline", "publishing"], "ping")
    elapsed = time.monotonic() - started

    assert outcomes["identity"] == {"service": "identity"}
    assert outcomes["publishing"] == {"service": "publishing"}
    assert outcomes["spaces"].code == "service-timeout"
    assert outcomes["hotline"].code == "service-not-running"
    assert elapsed < 0.6  # one deadline for all, not one per call
    assert max(t for _, t in client.sent) - started < 0.1  # all sent at once
    assert client.listener._reply_events == {}  # the slot of the call given up on is forgotten too


def test_call_raises_the_translated_failure(client):
    client.behaviour.update(identity=(0, errors.NotFound("No such user.")), spaces=(0, RemoteError("ValueError", "x")))
    with pytest.raises(errors.NotFound):
        client.call("identity", "get_user", 1)
    with pytest.raises(rpc.UpstreamFailure):
        client.call("spaces", "get_space", 1)
