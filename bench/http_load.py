"""A small closed-loop HTTP load generator: C clients, each with one keep-alive connection,
send requests (GET, or POST with a JSON body) back to back for a fixed time. Plain threads (no eventlet), split over
processes so the generator is not what limits the rate. Prints one JSON line of results.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import threading
import time
from urllib.parse import urlsplit


def _client(host: str, port: int, path: str, until: float, latencies: list, errors: list, spec: dict) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    body = spec.get("body")
    headers = dict(spec.get("headers") or {})
    if body is not None:
        headers["Content-Type"] = "application/json"
    while time.perf_counter() < until:
        start = time.perf_counter()
        try:
            conn.request(spec.get("method", "GET"), path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
            else:
                latencies.append(time.perf_counter() - start)
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.close()


def _process(url: str, clients: int, seconds: float, queue, spec: dict) -> None:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")  # the query too: ?cursor=, ?q=
    until = time.perf_counter() + seconds
    latencies: list = []
    errors: list = []
    threads = [
        threading.Thread(target=_client, args=(parts.hostname, parts.port, target, until, latencies, errors, spec))
        for _ in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put((latencies, errors))


def run(url: str, clients: int, seconds: float, processes: int = 2, spec: dict | None = None) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers = [ctx.Process(target=_process, args=(url, n, seconds, queue, spec or {})) for n in shares if n]
    started = time.perf_counter()
    for w in workers:
        w.start()
    latencies, errors = [], []
    for _ in workers:
        lat, err = queue.get()
        latencies += lat
        errors += err
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "rps": len(latencies) / seconds,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "elapsed": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", help="a JSON body (sent with Content-Type: application/json)")
    parser.add_argument("--header", action="append", default=[], help="Name: value (repeatable)")
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    spec = {"method": args.method, "body": args.body, "headers": headers}
    print(json.dumps(run(args.url, args.clients, args.seconds, spec=spec)))


if __name__ == "__main__":
    main()
