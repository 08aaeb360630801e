"""Run every benchmark on a database and vhost of its own and write docs/performance.md."""

from __future__ import annotations

# isort: off
import kernel  # noqa: F401 - first: silences eventlet's deprecation notice
import eventlet

# isort: on

eventlet.monkey_patch()

import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kernel import wire
from kernel.config import SERVICES, Settings
from kernel.db import make_green
from kernel.migrations import migrate
from kernel.testing.infra import VhostAdmin, create_database, drop_database, free_port
from kernel.testing.processes import ServiceProcess

ROOT = Path(__file__).resolve().parent.parent
EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
#: the members list: its sizes, its pages, and the paired rounds of its reads (the ratio is their median)
MEMBER_SIZES = (1_000, 100_000)
PAGES = ("first", "middle")
MEMBERS_ROUNDS = int(os.environ.get("BENCH_MEMBERS_ROUNDS", "3"))
#: BENCH_ONLY=publishing (comma-separated: events, gateway, publishing) runs only those parts, and then
#: writes the report only where BENCH_REPORT says (never a partial docs/performance.md)
ONLY = {part.strip() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()}


def wanted(part: str) -> bool:
    return not ONLY or part in ONLY


def http_load(url: str, clients: int, *extra: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.http_load", url, "--clients", str(clients), "--seconds", str(SECONDS), *extra],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    from bench import accounts, events, publishing, spaces

    make_green()
    wire.install()
    base = Settings.from_env()
    run = uuid.uuid4().hex[:8]
    db_name, vhost = f"ecommunity_bench_{run}", f"ecommunity_bench_{run}"
    admin = VhostAdmin(base.amqp_uri)
    database_url = create_database(base.database_url, db_name)
    amqp_uri = admin.add(vhost)
    results: dict = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        settings = dataclasses.replace(
            base, database_url=database_url, amqp_uri=amqp_uri, log_level="WARNING", log_format="text"
        )
        import logging

        logging.basicConfig(level=logging.WARNING)
        if wanted("events"):
            events_figures(events, settings, amqp_uri, results)

        migrate(database_url, SERVICES, out=open(os.devnull, "w"))  # noqa: SIM115
        ports = {name: free_port() for name in SERVICES}
        settings = dataclasses.replace(settings, gateway_port=free_port(), service_http_ports=ports)
        with tempfile.TemporaryDirectory() as logs:
            procs = [ServiceProcess(name, settings, Path(logs), ports[name]).start() for name in SERVICES]
            gateway = ServiceProcess("gateway", settings, Path(logs), settings.gateway_port).start()
            try:
                for p in (*procs, gateway):
                    p.wait_ready(60)
                if wanted("gateway"):
                    gateway_figures(accounts, spaces, gateway.url, settings, results)
                if wanted("publishing"):
                    started = time.perf_counter()
                    results["publishing"] = publishing.figures(gateway.url, database_url, http_load, SECONDS)
                    results["publishing"]["seconds"] = time.perf_counter() - started
            finally:
                for p in (gateway, *procs):
                    p.stop()
    finally:
        admin.delete(vhost)
        drop_database(base.database_url, db_name)
    report = render(results)
    target = os.environ.get("BENCH_REPORT") or (None if ONLY else ROOT / "docs" / "performance.md")
    if target is not None:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(report)
    print(report)
    return 0


def events_figures(events, settings: Settings, amqp_uri: str, results: dict) -> None:
    with tempfile.TemporaryDirectory() as logs:
        print("bench: warming up the broker and the database ...", flush=True)
        events.raw_kombu(amqp_uri, 2000)
        events.outbox_pipeline(settings, 2000, Path(logs))
        rounds = []
        for number in range(1, ROUNDS + 1):
            raw = events.raw_kombu(amqp_uri, EVENTS)
            pipeline, lag = events.outbox_pipeline(settings, EVENTS, Path(logs))
            rounds.append((raw, pipeline, lag))
            print(
                f"bench: round {number}: raw kombu {raw:.0f}/s, outbox -> inbox {pipeline:.0f}/s "
                f"(ratio {pipeline / raw:.2f})",
                flush=True,
            )
    results["rounds"] = rounds
    results["raw"] = statistics.median(r[0] for r in rounds)
    results["pipeline"] = statistics.median(r[1] for r in rounds)
    results["drain_after_commit"] = statistics.median(r[2] for r in rounds)
    # each round pairs the two paths on the broker as it is at that moment: compare within rounds
    results["ratio"] = statistics.median(r[1] / r[0] for r in rounds)


def gateway_figures(accounts, spaces, gateway: str, settings: Settings, results: dict) -> None:
    token, login = accounts.member_token(gateway)
    me = ("--header", f"Authorization: Bearer {token}")
    for path, extra in (("/v1/ping/identity", ()), ("/v1/me", me), ("/v1/ping", ()), ("/healthz", ())):
        http_load(f"{gateway}{path}", 8, *extra)  # warm up
        for clients in (16, 64):
            print(f"bench: GET {path}, {clients} clients, {SECONDS:.0f}s ...", flush=True)
            results[(path, clients)] = http_load(f"{gateway}{path}", clients, *extra)
    print("bench: log-in (argon2id), 8 clients ...", flush=True)
    results["login"] = http_load(f"{gateway}/v1/auth/token", 8, "--method", "POST", "--body", login)
    results["verify_us"] = accounts.verification_microseconds(gateway, token)
    print("bench: permission decisions on the local read model ...", flush=True)
    results["decisions"] = spaces.decisions(settings.database_url, SECONDS)
    results["members"] = members_figures(spaces, gateway, settings)


def members_figures(spaces, gateway: str, settings: Settings) -> dict:
    """p50/p99 of a page of ``GET /v1/communities/{id}/members`` in communities of 1k and 100k
    members: the first page, and a page from the middle of the list (keyset: both should cost the
    same). Paired rounds, as for publishing: each page at each size in turn, ``MEMBERS_ROUNDS``
    times; ``"ratios"`` holds each round's worst ratio of the two pages."""
    from services.identity.cli import create_admin

    email = f"bench-owner-{uuid.uuid4().hex[:8]}@example.org"
    create_admin(settings.database_url, email, spaces.OWNER_PASSWORD)
    token = spaces.token_of(gateway, email)
    header = ("--header", f"Authorization: Bearer {token}")
    urls = {}
    for size in MEMBER_SIZES:
        community_id = spaces.new_community(gateway, token)
        print(f"bench: {size} members ...", flush=True)
        spaces.add_members(settings.database_url, community_id, size)
        base = f"{gateway}/v1/communities/{community_id}/members?limit=20"
        middle = spaces.middle_cursor(gateway, token, community_id, size // 200)
        http_load(base, 8, *header)  # warm up
        urls[(size, "first")], urls[(size, "middle")] = base, f"{base}&cursor={middle}"
    runs: dict = {key: [] for key in urls}
    for number in range(1, MEMBERS_ROUNDS + 1):
        for where in PAGES:
            for size in MEMBER_SIZES:
                print(f"bench: members: round {number}, {size} members, {where} page ...", flush=True)
                runs[(size, where)].append(http_load(urls[(size, where)], 16, *header))
    small, big = MEMBER_SIZES
    figures: dict = {key: sorted(done, key=lambda f: f["p99_ms"])[len(done) // 2] for key, done in runs.items()}
    figures["ratios"] = [
        max(runs[(big, where)][index]["p99_ms"] / runs[(small, where)][index]["p99_ms"] for where in PAGES)
        for index in range(MEMBERS_ROUNDS)
    ]
    return figures


def render_spaces(d: dict, m: dict) -> list[str]:
    lines = [
        "",
        "## Spaces: permission decisions and the members list",
        "",
        f"- `may(db, actor, action, space_id)` on a service's local read model (one prepared SQL query: the "
        f"space's chain of {d['depth']} ancestors, the community and the user's row among {d['members']} "
        f"members; then the pure rules), one connection: **{d['per_second']:.0f} decisions/s**. The rules "
        f"alone, without SQL: {d['pure_us']:.1f} µs per decision.",
        "- `GET /v1/communities/{id}/members?limit=20` (cursor pages), 16 clients, owner's token:",
        "",
        "| members | page | requests/s | p50 ms | p99 ms |",
        "|---:|---|---:|---:|---:|",
    ]
    for size in MEMBER_SIZES:
        for where in PAGES:
            v = m[(size, where)]
            lines.append(f"| {size} | {where} | {v['rps']:.0f} | {v['p50_ms']:.1f} | {v['p99_ms']:.1f} |")
    flat = statistics.median(m["ratios"])
    rounds = ", ".join(f"{ratio:.2f}" for ratio in m["ratios"])
    lines += [
        "",
        f"- p99 with 100k members over p99 with 1k, worst of the two pages: **{flat:.2f}** (target ≤ 1.2):"
        f" the median of {len(m['ratios'])} paired rounds ({rounds}), each page at each size in turn; the table"
        " shows each read's round of median p99.",
    ]
    return lines


def render_publishing(figures: dict) -> list[str]:
    from bench import publishing

    return publishing.render(figures, SECONDS)


def render(r: dict) -> str:
    if ONLY:  # a partial run: the run's line and the parts it made
        return "\n".join(
            [
                f"# Performance (partial: BENCH_ONLY={','.join(sorted(ONLY))})",
                "",
                f"- Run: {r['when']} · {os.cpu_count()} cores · Python {platform.python_version()} · "
                f"{SECONDS:.0f}s per HTTP measurement",
                *(render_spaces(r["decisions"], r["members"]) if "decisions" in r else []),
                *(render_publishing(r["publishing"]) if "publishing" in r else []),
                "",
            ]
        )
    ratio = r["ratio"]
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`bench/`); numbers from one run on one machine — compare ratios, not absolutes.",
        "",
        f"- Run: {r['when']} · {os.cpu_count()} cores · Python {platform.python_version()} · "
        f"{EVENTS} events · {SECONDS:.0f}s per HTTP measurement",
        "- Everything on one machine: RabbitMQ, PostgreSQL, the services, the gateway and the load generator "
        "share the cores.",
        "",
        "## Events: outbox → RabbitMQ → inbox",
        "",
        "Both paths: this process produces, a separate consumer process acknowledges, on the same broker,",
        "alternating, after a warm-up. Rates are the medians of the rounds; the ratio is the median of",
        "each round's ratio (the two paths of a round meet the broker in the same state).",
        "",
        "| path | events/s (median) |",
        "|---|---:|",
        f"| raw kombu: persistent publish + consume/ack (no database) | {r['raw']:.0f} |",
        "| eCommunity: `emit` in transactions of 100 → outbox relay (confirmed, persistent) → "
        f"consumer service (inbox + effect, committed per batch) | {r['pipeline']:.0f} |",
        f"| **ratio**, median of the rounds' ratios (target ≥ 0.5) | **{ratio:.2f}** |",
        "",
        "Rounds: " + "; ".join(f"raw {a:.0f}/s, eCommunity {b:.0f}/s ({b / a:.2f})" for a, b, _ in r["rounds"]) + ".",
        f"Median time from the producer's last commit to the consumer's last commit: {r['drain_after_commit']:.2f}s.",
        "",
        "## Gateway → RPC",
        "",
        "Closed loop: each client sends its next request when the previous one answered (keep-alive).",
        "",
        "| request | clients | requests/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "/v1/ping/identity": "`GET /v1/ping/identity` (gateway → one RPC)",
        "/v1/me": "`GET /v1/me` (token verified in the gateway → one RPC)",
        "/v1/ping": "`GET /v1/ping` (gateway → five RPCs in parallel)",
        "/healthz": "`GET /healthz` (gateway alone, no RPC)",
    }
    for key, value in r.items():
        if isinstance(key, tuple):
            path, clients = key
            lines.append(
                f"| {labels[path]} | {clients} | {value['rps']:.0f} | {value['p50_ms']:.1f} | "
                f"{value['p99_ms']:.1f} | {value['errors']} |"
            )
    if "login" in r:
        pairs = {clients: (r[("/v1/me", clients)], r[("/v1/ping/identity", clients)]) for clients in (16, 64)}
        lines += [
            "",
            "## Identity: authenticated requests and log-in",
            "",
            f"- Verifying one access token (EdDSA signature, claims) in the gateway's code: "
            f"{r['verify_us']:.0f} µs of CPU (target < 1 ms).",
            "- `GET /v1/me` beside `GET /v1/ping/identity` (both one RPC): "
            + "; ".join(
                f"{c} clients {me['rps']:.0f} vs {ping['rps']:.0f} req/s, p99 {me['p99_ms']:.1f} vs "
                f"{ping['p99_ms']:.1f} ms"
                for c, (me, ping) in pairs.items()
            )
            + ".",
            f"- Log-in (`POST /v1/auth/token`, argon2id with argon2-cffi's RFC 9106 low-memory defaults, at most "
            f"four hashes at once per process), 8 clients: {r['login']['rps']:.1f} per second, p50 "
            f"{r['login']['p50_ms']:.0f} ms, p99 {r['login']['p99_ms']:.0f} ms.",
        ]
    if "decisions" in r:
        lines += render_spaces(r["decisions"], r["members"])
    if "publishing" in r:
        lines += render_publishing(r["publishing"])
    lines += [
        "",
        "## Reading the figures",
        "",
        "- Both event paths are CPU-bound on two cores shared by every actor, so the ratio swings from round to",
        "  round with what else the machine does; that is why the ratio is a median of paired rounds.",
        "- Where an event's CPU goes (20 000 events, measured on 2026-11-21 with per-process CPU counters): the",
        "  consumer process ≈ 0.17 ms (AMQP frames, envelope and schema checks, the handler's own INSERT), RabbitMQ",
        "  ≈ 0.17 ms (confirmed persistent publish, delivery, ack), PostgreSQL ≈ 0.13 ms (outbox insert, relay",
        "  read and sent mark, inbox insert, the effect, one commit per batch), producer and relay ≈ 0.07 ms. The",
        "  raw path spends about a third of that: no database, no confirms, no validation.",
        "- What made the pipeline fast: the outbox is written in one statement per transaction; the relay",
        "  publishes batches of 500 and waits for their confirms together; the consumer applies what arrives",
        "  together in one transaction (one fsync for up to `EVENT_BATCH_MAX` events) and acknowledges with",
        "  `multiple=True` up to the oldest message still in flight.",
        "- Gateway → RPC costs about 1 ms of CPU in each nameko process per hop (HTTP parsing, AMQP publish",
        "  with confirm, reply, worker bookkeeping); `/v1/ping` makes five of them per request, so its rate is",
        "  about a fifth. With 64 clients the rate stays the same and latency grows: the two cores are saturated.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
