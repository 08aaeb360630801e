"""Fixtures for the gateway's tests: the gateway and the services, in this process, over real HTTP.

Built on the kernel's fixtures (``kernel.testing.fixtures``: this run's database and vhost,
``make_settings``, ``start_container``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from gateway.service import GatewayService
from kernel.config import SERVICES, Settings
from kernel.runner import load_class


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


@pytest.fixture
def start_gateway(make_settings, start_container):
    """Start ``gateway_cls`` with the real ``services`` and any replacement service classes.

    Settings overrides (``rpc_timeout=0.5``, ``amqp_uri=fresh_amqp_uri``, ...) are keyword arguments.
    The outbox relay is off: no gateway test needs events.
    """
    sessions: list[requests.Session] = []

    def start(gateway_cls=GatewayService, services=SERVICES, replacements=(), **overrides) -> RunningGateway:
        settings = make_settings(outbox_relay_enabled=False, **overrides)
        for name in services:
            start_container(load_class(name), settings, settings.service_http_ports[name])
        for service_cls in replacements:
            start_container(service_cls, settings)
        start_container(gateway_cls, settings, settings.gateway_port)
        session = requests.Session()
        sessions.append(session)
        return RunningGateway(f"http://127.0.0.1:{settings.gateway_port}", session, settings)

    yield start
    for session in sessions:
        session.close()


@pytest.fixture
def gateway(start_gateway) -> RunningGateway:
    """The gateway and the five services, all real, on this run's database and vhost."""
    return start_gateway()
