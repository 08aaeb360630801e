"""What the gateway's own `/v1` platform operations compute — which services exist, whether they answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.pagination import after, paginate
from gateway.rpc import failure_reason
from kernel import errors
from kernel.config import SERVICES


def known_service(name: str) -> str:
    """``name`` if it is one of the platform's services; ``errors.NotFound`` (404) otherwise."""
    if name not in SERVICES:
        raise errors.NotFound(
            f"There is no service named {name!r}; the services are {', '.join(SERVICES)}.",
            code="unknown-service",
        )
    return name


def ping_report(outcomes: Mapping[str, Any]) -> dict[str, Any]:
    """``{"status": "ok", "services": {name: answer}}`` when every service answered its ping.

    Otherwise ``errors.Unavailable`` (503): a ping proves a path, so any failure — no answer in
    time, no running service, an error in the service — means that path is down. The problem names
    each failed service in ``services``, with a reason that reveals nothing internal.
    """
    failed = {
        name: failure_reason(name, outcome) for name, outcome in outcomes.items() if isinstance(outcome, BaseException)
    }
    if failed:
        raise errors.Unavailable(" ".join(failed.values()), extra={"services": failed})
    return {"status": "ok", "services": dict(outcomes)}


def service_page(limit: int, position: Mapping[str, Any] | None) -> dict[str, Any]:
    """One page of the platform's services, by name (the demonstration of cursor pagination)."""
    rows = [{"name": name, "ping": f"/v1/ping/{name}"} for name in sorted(SERVICES)]
    rows = after(rows, position, key="name")[: limit + 1]
    return paginate(rows, limit, lambda row: {"name": row["name"]})
