"""Helpers of the end-to-end tests that talk to the spaces service through the gateway: a stack of
real identity, spaces and gateway processes, users with the platform role a test needs, and calls."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import contextmanager

import requests

from kernel.testing.containers import settings_for_tests
from kernel.testing.processes import ServiceProcess
from kernel.testing.waiting import eventually
from services.identity.cli import create_admin
from tests.support.accounts import PASSWORD, bearer, log_in, register

TIMEOUT = 15
SECTIONS = ("identity", "objectives", "topics", "rules", "access", "content", "roles", "modules")

_admins: dict[str, str] = {}  #: gateway url -> an admin's access token, made once per stack


@contextmanager
def spaces_stack(database_url: str, amqp_uri: str, log_dir, services: Sequence[str] = ("identity", "spaces")):
    """Real identity, spaces and gateway processes on this run's database and vhost: ``(gateway url, settings)``;
    ``services`` names the processes to start besides the gateway (more of them: ``publishing``, ...).

    Identity's ``user.registered`` events reach spaces through the outbox relay and RabbitMQ, as in
    production: a user just registered may take a moment to be known there (see ``wait_known``).
    """
    settings = settings_for_tests(database_url, amqp_uri)
    processes = [
        ServiceProcess(name, settings, log_dir, settings.service_http_ports[name]).start() for name in services
    ]
    processes.append(ServiceProcess("gateway", settings, log_dir, settings.gateway_port).start())
    try:
        for process in processes:
            process.wait_ready(60)
        yield processes[-1].url, settings
    finally:
        for process in reversed(processes):
            process.stop()
        _admins.pop(processes[-1].url, None)


def make_user(url: str, platform_role: str | None = None, settings=None, name: str = "Ada") -> tuple[str, str]:
    """A registered, signed-in user: ``(user_id, access_token)``; ``platform_role`` (admin or
    community_creator) is given by an admin, which needs ``settings`` (the stack's)."""
    if platform_role == "admin":
        assert settings is not None, "making an admin needs the stack's settings"
        email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
        assert "created" in create_admin(settings.database_url, email, PASSWORD)
        token = _token(url, email)
        return _me(url, token), token
    email, created = register(url, name=name)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    if platform_role is not None and platform_role != "member":
        assert settings is not None, "giving a platform role needs the stack's settings"
        given = call(
            url, "PUT", f"/v1/users/{user_id}/platform-role", admin_token(url, settings), {"role": platform_role}
        )
        assert given.status_code == 200, given.text
    return user_id, _token(url, email)  # logged in after the role changed: the token claims it


def wait_known(attempt, what: str = "the users to be known to spaces"):
    """Repeat ``attempt()`` (an HTTP call naming users) while spaces answers that it does not know
    them (422 ``unknown-users`` or ``unknown-user``): it learns of new accounts from identity's
    ``user.registered`` events, a moment after they register. Returns the first other answer."""
    answers: list[requests.Response] = []

    def known():
        answers.append(attempt())
        last = answers[-1]
        return last.status_code != 422 or not last.json().get("type", "").endswith(("unknown-users", "unknown-user"))

    eventually(known, timeout=30, interval=0.2, what=what)
    return answers[-1]


def call(url: str, method: str, path: str, token: str | None = None, body=None, params=None) -> requests.Response:
    headers = bearer(token) if token else {}
    return requests.request(method, url + path, json=body, params=params, headers=headers, timeout=TIMEOUT)


def ok(response: requests.Response, status: int = 200):
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.text}"
    return response.json() if response.content else None


def problem(response: requests.Response, status: int, code: str | None = None) -> dict:
    """The problem document of a response that must be a ``status`` problem (of type ``code``)."""
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.text}"
    assert response.headers["Content-Type"] == "application/problem+json"
    document = response.json()
    if code is not None:
        assert document["type"].endswith(f":{code}"), document
    return document


def launch(url: str, owner_token: str, community_id: str) -> dict:
    """Take a draft community live: review, every section validated, pilot, live."""
    path = f"/v1/communities/{community_id}"
    ok(call(url, "POST", path + "/transitions", owner_token, {"to": "review"}))
    for section in SECTIONS:
        ok(call(url, "POST", path + "/validations", owner_token, {"section": section}))
    ok(call(url, "POST", path + "/transitions", owner_token, {"to": "pilot"}))
    return ok(call(url, "POST", path + "/transitions", owner_token, {"to": "live"}))


def admin_token(url: str, settings) -> str:
    """An admin's access token on this stack (made once)."""
    if url not in _admins:
        _admins[url] = make_user(url, "admin", settings)[1]
    return _admins[url]


def _token(url: str, email: str) -> str:
    response = log_in(url, email)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _me(url: str, token: str) -> str:
    return ok(call(url, "GET", "/v1/me", token))["id"]
