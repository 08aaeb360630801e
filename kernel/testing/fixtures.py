"""pytest fixtures: real PostgreSQL and RabbitMQ, with names of their own for every test run.

Enable with ``pytest_plugins = ["kernel.testing.fixtures"]`` in the top ``conftest.py``, after
``eventlet.monkey_patch()``. The server addresses come from ``DATABASE_URL`` and ``AMQP_URI``
(their database / vhost parts are replaced); everything created is removed at the end.
"""

from __future__ import annotations

import io
import uuid

import pytest

from kernel.config import SERVICES, Settings
from kernel.migrations import migrate
from kernel.testing.containers import ContainerGroup, settings_for_tests
from kernel.testing.infra import VhostAdmin, create_database, drop_database
from kernel.testing.processes import ServiceProcess


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def database_url(base_settings, run_id):
    """A database of this run's own, every service's schema migrated."""
    name = f"ecommunity_test_{run_id}"
    url = create_database(base_settings.database_url, name)
    migrate(url, SERVICES, out=io.StringIO())
    yield url
    drop_database(base_settings.database_url, name)


@pytest.fixture(scope="session")
def vhost_admin(base_settings) -> VhostAdmin:
    return VhostAdmin(base_settings.amqp_uri)


@pytest.fixture(scope="session")
def amqp_uri(vhost_admin, run_id):
    """A RabbitMQ vhost of this run's own."""
    vhost = f"ecommunity_test_{run_id}"
    yield vhost_admin.add(vhost)
    vhost_admin.delete(vhost)


@pytest.fixture
def fresh_amqp_uri(vhost_admin, run_id):
    """A vhost of this test's own: no queue or message left over from another test."""
    vhost = f"ecommunity_test_{run_id}_{uuid.uuid4().hex[:6]}"
    yield vhost_admin.add(vhost)
    vhost_admin.delete(vhost)


@pytest.fixture
def make_settings(database_url, amqp_uri):
    """Settings for this run: its database and vhost, free ports, short retry delays."""

    def make(**overrides) -> Settings:
        overrides.setdefault("database_url", database_url)
        overrides.setdefault("amqp_uri", amqp_uri)
        return settings_for_tests(**overrides)

    return make


@pytest.fixture
def start_container():
    """Run a service class in this process (a real nameko container); stopped after the test."""
    group = ContainerGroup()
    yield group.start
    group.stop_all()


@pytest.fixture
def processes(tmp_path):
    """Start real ``ecommunity-service`` processes; all are stopped after the test."""
    started: list[ServiceProcess] = []

    def start(target: str, settings: Settings, port: int, extra_env: dict | None = None) -> ServiceProcess:
        process = ServiceProcess(target, settings, tmp_path, port, extra_env).start()
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()
