"""Per-worker observability: entrypoint count and latency, and the correlation id in every log line."""

from __future__ import annotations

import logging
import uuid

from nameko.extensions import DependencyProvider

from kernel import logging as klogging
from kernel.metrics import ENTRYPOINT_CALLS, ENTRYPOINT_SECONDS, Timer

log = logging.getLogger(__name__)


def entrypoint_kind(entrypoint) -> str:
    name = type(entrypoint).__name__.lower()
    for kind in ("rpc", "http", "event", "timer"):
        if kind in name:
            return kind
    return name


class Observability(DependencyProvider):
    """Times every worker of the service and tags its logs with the request's correlation id."""

    def setup(self):
        self.timers: dict = {}

    def worker_setup(self, worker_ctx):
        cid = worker_ctx.context_data.get("correlation_id")
        if not cid:
            cid = str(uuid.uuid4())
            worker_ctx.context_data["correlation_id"] = cid
        klogging.correlation_id.set(cid)
        self.timers[worker_ctx] = Timer()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        timer = self.timers.pop(worker_ctx, None)
        if timer is None:
            return
        service = self.container.service_name
        name = worker_ctx.entrypoint.method_name
        kind = entrypoint_kind(worker_ctx.entrypoint)
        outcome = "ok" if exc_info is None else "error"
        elapsed = timer.elapsed()
        ENTRYPOINT_CALLS.labels(service, name, kind, outcome).inc()
        ENTRYPOINT_SECONDS.labels(service, name, kind).observe(elapsed)
        log.debug("%s %s %s in %.1f ms", kind, name, outcome, elapsed * 1000)

    def worker_teardown(self, worker_ctx):
        self.timers.pop(worker_ctx, None)
        klogging.correlation_id.set(None)
