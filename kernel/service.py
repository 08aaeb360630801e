"""What every eCommunity service has: its database, observability, ``ping`` and probes.

A service subclasses ``PlatformService`` and sets ``name``; nameko finds inherited entrypoints, so
each service exposes, on its own port (``<SERVICE>_HTTP_PORT``):

- ``GET /healthz`` — the process is alive;
- ``GET /readyz`` — its PostgreSQL schema and RabbitMQ answer (503 otherwise);
- ``GET /metrics`` — Prometheus;

and the RPC ``ping`` the gateway uses to prove the path end to end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from nameko.extensions import DependencyProvider

from kernel.config import check_postgres, check_rabbitmq, settings_of
from kernel.db import Database
from kernel.entrypoints import rpc
from kernel.metrics import exposition
from kernel.observability import Observability
from kernel.web import http, json_response


class Readiness(DependencyProvider):
    """Gives a worker ``check()``: whether RabbitMQ and PostgreSQL answer.

    A service with a ``Database`` checks it; ``Readiness(database=True)`` checks the configured
    database even without one (the gateway keeps nothing but reports whether PostgreSQL answers).
    """

    def __init__(self, database: bool = False):
        self.database = database

    def get_dependency(self, worker_ctx):
        url = settings_of(self.container).database_url if self.database else None
        return partial(readiness_checks, self.container, database_url=url)


def readiness_checks(container, database_url: str | None = None) -> dict:
    """``{"rabbitmq": "ok", "postgresql": "ok"}`` or a reason in place of each "ok"."""
    settings = settings_of(container)
    checks = {}
    rabbit = check_rabbitmq(settings.amqp_uri, timeout=2)
    checks["rabbitmq"] = "ok" if rabbit is None else rabbit
    database = next((dep for dep in container.dependencies if isinstance(dep, Database)), None)
    if database is not None or database_url:
        url = database_url or settings.database_url
        postgres = check_postgres(url, timeout=2)
        checks["postgresql"] = "ok" if postgres is None else postgres
    return checks


def readiness_response(checks: dict):
    ready = all(v == "ok" for v in checks.values())
    return json_response({"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


class Probes:
    """What every process answers on its HTTP port: ``/healthz``, ``/readyz``, ``/metrics``."""

    name = "process"

    observability = Observability()
    readiness = Readiness()

    @http("GET", "/healthz")
    def healthz(self, request):
        """The process is alive."""
        return json_response({"status": "alive", "service": self.name})

    @http("GET", "/readyz")
    def readyz(self, request):
        """RabbitMQ and PostgreSQL answer (200), or which does not (503)."""
        return readiness_response(self.readiness())

    @http("GET", "/metrics")
    def metrics(self, request):
        body, content_type = exposition()
        return 200, {"Content-Type": content_type}, body


class PlatformService(Probes):
    """A service: the probes, its database schema (``self.db``) and ``ping``."""

    name = "platform"

    db = Database()

    @rpc
    def ping(self):
        """Proves the RPC path: answers with the service's name and time, touching its database."""
        row = self.db.fetchone("SELECT now() AS now")
        return {
            "service": self.name,
            "time": datetime.now(UTC).isoformat(),
            "database_time": row["now"].isoformat() if row else None,
        }
