"""Prometheus metrics every process exposes, declared once.

Counters and histograms are updated where things happen; the outbox backlog and the parked events
are read from PostgreSQL when Prometheus scrapes (``DatabaseCollector``), so they are true even
across restarts and replicas.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

ENTRYPOINT_CALLS = Counter(
    "ecommunity_entrypoint_calls_total",
    "Entrypoint executions by outcome",
    ["service", "entrypoint", "kind", "outcome"],
)
ENTRYPOINT_SECONDS = Histogram(
    "ecommunity_entrypoint_seconds",
    "Entrypoint latency",
    ["service", "entrypoint", "kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter(
    "ecommunity_outbox_published_total", "Events published and confirmed by RabbitMQ", ["schema"]
)
OUTBOX_RELAY_ERRORS = Counter(
    "ecommunity_outbox_relay_errors_total", "Relay passes that failed and were retried", ["schema"]
)
EVENTS_APPLIED = Counter("ecommunity_events_applied_total", "Events applied by a handler", ["service", "handler"])
EVENTS_DUPLICATE = Counter(
    "ecommunity_events_duplicate_total", "Redelivered events skipped by the inbox", ["service", "handler"]
)
HANDLER_FAILURES = Counter(
    "ecommunity_event_handler_failures_total", "Handler attempts that raised", ["service", "handler"]
)
EVENTS_PARKED = Counter(
    "ecommunity_events_parked_total", "Events parked in the dead-letter store", ["service", "handler"]
)
HTTP_RESPONSES = Counter(
    "ecommunity_http_responses_total", "Gateway responses by status", ["method", "route", "status"]
)


class DatabaseCollector:
    """Reads outbox backlog, oldest unsent age and parked count from each registered schema."""

    def __init__(self):
        self.sources: dict[str, object] = {}

    def add(self, schema: str, pool) -> None:
        self.sources[schema] = pool

    def collect(self):
        backlog = GaugeMetricFamily("ecommunity_outbox_backlog", "Events not yet published", labels=["schema"])
        oldest = GaugeMetricFamily(
            "ecommunity_outbox_oldest_unsent_seconds", "Age of the oldest unpublished event", labels=["schema"]
        )
        parked = GaugeMetricFamily(
            "ecommunity_events_parked_waiting", "Parked events not yet replayed", labels=["schema"]
        )
        for schema, pool in list(self.sources.items()):
            try:
                conn = pool.acquire(timeout=2)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001, S112 - a scrape must not fail because the database is down
                continue
            try:
                with conn.cursor() as cur:
                    cur.execute(
                        "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)"
                        " FROM outbox WHERE sent_at IS NULL"
                    )
                    count, age = cur.fetchone()
                    cur.execute("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL")
                    (parked_count,) = cur.fetchone()
                conn.rollback()
                backlog.add_metric([schema], count)
                oldest.add_metric([schema], float(age))
                parked.add_metric([schema], parked_count)
            except Exception:
                log.debug("metrics query failed for %s", schema, exc_info=True)
                pool.release(conn, broken=True)  # type: ignore[attr-defined]
                continue
            pool.release(conn)  # type: ignore[attr-defined]
        yield backlog
        yield oldest
        yield parked


DATABASE_COLLECTOR = DatabaseCollector()
REGISTRY.register(DATABASE_COLLECTOR)


def exposition() -> tuple[bytes, str]:
    """The metrics page and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class Timer:
    def __init__(self):
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
