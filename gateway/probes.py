"""The gateway's readiness: RabbitMQ and PostgreSQL answer.

The gateway keeps nothing in PostgreSQL, so it has no ``Database`` dependency for the kernel's
``Readiness`` to find; it checks the configured ``database_url`` itself, since no request it
routes can succeed while the services' database is down.
"""

from __future__ import annotations

from functools import partial

from kernel.config import settings_of
from kernel.service import Readiness, readiness_checks


class GatewayReadiness(Readiness):
    """Gives a worker ``check()``: ``{"rabbitmq": "ok", "postgresql": "ok"}`` or a reason for each."""

    def get_dependency(self, worker_ctx):
        return partial(readiness_checks, self.container, database_url=settings_of(self.container).database_url)
