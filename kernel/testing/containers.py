"""Settings and in-process nameko containers for tests (the one place both are made)."""

from __future__ import annotations

import dataclasses
from typing import Any

import eventlet
from nameko.containers import ServiceContainer

from kernel.config import SERVICES, Settings
from kernel.testing.infra import free_port

STOP_TIMEOUT = 15


def settings_for_tests(database_url: str, amqp_uri: str, **overrides) -> Settings:
    """This run's database and vhost, free ports, short retry delays, readable logs."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "amqp_uri": amqp_uri,
        "gateway_port": free_port(),
        "service_http_ports": {name: free_port() for name in SERVICES},
        "event_retry_delays": (0.05, 0.1),
        "outbox_poll_seconds": 0.5,
        "outbox_backoff_max_seconds": 1.0,
        "rpc_timeout": 10.0,
        "log_format": "text",
    }
    values.update(overrides)
    return dataclasses.replace(Settings(), **values)


class ContainerGroup:
    """Service containers started one by one and stopped together (nameko takes about two seconds
    to stop each one; stopped one after the other, a full stack would cost twelve)."""

    def __init__(self):
        self.running: list[ServiceContainer] = []

    def start(self, service_cls: type, settings: Settings, http_port: int | None = None) -> ServiceContainer:
        config = settings.nameko_config(service_cls.name)  # type: ignore[attr-defined]  # nameko services name themselves
        config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{http_port or free_port()}"
        container = ServiceContainer(service_cls, config)
        self.running.append(container)
        container.start()
        return container

    def stop_all(self) -> None:
        pool = eventlet.GreenPool()
        for container in reversed(self.running):
            pool.spawn(self._stop, container)
        pool.waitall()
        self.running.clear()

    @staticmethod
    def _stop(container: ServiceContainer) -> None:
        with eventlet.Timeout(STOP_TIMEOUT, False):
            container.stop()
            return
        container.kill()
