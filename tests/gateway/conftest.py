"""Fixtures for the gateway's tests: the gateway and the services, in this process, over real HTTP.

Built on the kernel's fixtures (``kernel.testing.fixtures``): this run's migrated database
(``database_url``) and vhost (``amqp_uri``, or ``fresh_amqp_uri`` for a test's own). Containers are
stopped all at once — nameko takes about two seconds to stop each one, so stopping the six of a
full stack one after the other would cost twelve per test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest
import requests
from nameko.containers import ServiceContainer

from gateway.service import GatewayService
from kernel.config import SERVICES, Settings, load_class
from kernel.testing.containers import ContainerGroup, settings_for_tests


def gateway_settings(database_url: str, amqp_uri: str, **overrides) -> Settings:
    """Settings for a test stack; no outbox relay (no gateway test needs events)."""
    return settings_for_tests(database_url, amqp_uri, **{"outbox_relay_enabled": False, **overrides})


class Containers(ContainerGroup):
    """A stack's containers, all with the stack's settings."""

    def __init__(self, settings: Settings):
        super().__init__()
        self.settings = settings

    def start(self, service_cls: type, http_port: int | None = None) -> ServiceContainer:  # type: ignore[override]
        return super().start(service_cls, self.settings, http_port)


@dataclass
class RunningGateway:
    """A started gateway: its base URL, an HTTP session to it, the settings it runs with."""

    url: str
    http: requests.Session
    settings: Settings

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.url + path, timeout=30, **kwargs)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.url + path, timeout=30, **kwargs)


def start_stack(
    containers: Containers, gateway_cls: type, services: Iterable[str], replacements: Iterable[type]
) -> RunningGateway:
    settings = containers.settings
    for name in services:
        containers.start(load_class(name), settings.service_http_ports[name])
    for service_cls in replacements:
        containers.start(service_cls)
    containers.start(gateway_cls, settings.gateway_port)
    return RunningGateway(f"http://127.0.0.1:{settings.gateway_port}", requests.Session(), settings)


@pytest.fixture(scope="module")
def gateway(database_url, amqp_uri):
    """The gateway and the five real services, shared by a module's tests (which must change nothing)."""
    containers = Containers(gateway_settings(database_url, amqp_uri))
    running = start_stack(containers, GatewayService, SERVICES, ())
    yield running
    running.http.close()
    containers.stop_all()


@pytest.fixture
def start_gateway(database_url, amqp_uri):
    """Start a stack of this test's own: ``start_gateway(gateway_cls, services, replacements, **settings)``.

    ``services`` are names of real services; ``replacements`` are test service classes standing in
    for some; keyword arguments override settings (``rpc_timeout=0.5``, ``amqp_uri=fresh_amqp_uri``).
    """
    stacks: list[tuple[Containers, RunningGateway]] = []

    def start(gateway_cls=GatewayService, services=SERVICES, replacements=(), **overrides) -> RunningGateway:
        overrides.setdefault("amqp_uri", amqp_uri)
        containers = Containers(gateway_settings(database_url, **overrides))
        running = start_stack(containers, gateway_cls, services, replacements)
        stacks.append((containers, running))
        return running

    yield start
    for containers, running in stacks:
        running.http.close()
        containers.stop_all()
