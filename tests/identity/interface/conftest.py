"""A real IdentityService container on this run's RabbitMQ vhost and PostgreSQL database.

One container serves a module's tests (starting and stopping one costs seconds); tests stay
independent by registering users with unique emails and by asserting only on what they created.
"""

from __future__ import annotations

import dataclasses
import uuid
from contextlib import closing

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from kernel.auth import TokenVerifier
from kernel.config import SERVICES, Settings
from kernel.testing.infra import free_port
from services.identity.service import IdentityService
from tests.support.records import schema_connection

PASSWORD = "violet-otter-carries-maps"


@pytest.fixture(scope="module")
def identity_settings(database_url, amqp_uri) -> Settings:
    return dataclasses.replace(
        Settings(),
        database_url=database_url,
        amqp_uri=amqp_uri,
        service_http_ports={name: free_port() for name in SERVICES},
        outbox_poll_seconds=0.2,
        log_format="text",
    )


@pytest.fixture(scope="module")
def identity(identity_settings):
    """The ``identity`` RPC proxy of a running IdentityService."""
    config = identity_settings.nameko_config(IdentityService.name)
    config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{free_port()}"
    container = ServiceContainer(IdentityService, config)
    container.start()
    try:
        with ClusterRpcProxy({"AMQP_URI": identity_settings.amqp_uri}, timeout=30) as rpc:
            yield rpc.identity
    finally:
        with eventlet.Timeout(15, False):
            container.stop()
        if container.started:
            container.kill()


@pytest.fixture
def db(database_url):
    """An autocommit connection to the identity schema, to look at what the service stored."""
    with closing(schema_connection(database_url, "identity")) as conn:
        yield conn


def query(conn, sql, params=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.org"


@pytest.fixture
def verifier(identity, identity_settings):
    """Verifies access tokens with the keys the ``jwks`` RPC publishes (no caching between kids)."""
    return TokenVerifier(
        identity_settings.token_issuer, identity_settings.token_audience, identity.jwks, min_refresh_seconds=0
    )


@pytest.fixture
def account(identity):
    """Register a user with a unique email; returns ``(user, email)``."""

    def make(display_name="Ana", locale="en"):
        email = new_email()
        return identity.register(email, PASSWORD, display_name, locale), email

    return make
