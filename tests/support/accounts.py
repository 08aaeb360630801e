"""Helpers of the end-to-end tests that talk to identity through the gateway."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import requests

from kernel.testing.containers import settings_for_tests
from kernel.testing.processes import ServiceProcess

PASSWORD = "correct horse battery staple"


@contextmanager
def identity_stack(database_url: str, amqp_uri: str, log_dir, identity_env: dict | None = None):
    """Real identity and gateway processes on this run's database and vhost: ``(gateway url, settings)``."""
    settings = settings_for_tests(database_url, amqp_uri)
    identity = ServiceProcess(
        "identity", settings, log_dir, settings.service_http_ports["identity"], extra_env=identity_env
    ).start()
    gateway = ServiceProcess("gateway", settings, log_dir, settings.gateway_port).start()
    try:
        identity.wait_ready(60)
        gateway.wait_ready(60)
        yield gateway.url, settings
    finally:
        gateway.stop()
        identity.stop()


def register(url, email=None, password=PASSWORD, name="Ada"):
    email = email or f"ada-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "password": password, "display_name": name, "locale": "fr"}
    return email, requests.post(url + "/v1/auth/register", json=body, timeout=15)


def log_in(url, email, password=PASSWORD):
    return requests.post(url + "/v1/auth/token", json={"email": email, "password": password}, timeout=15)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}
