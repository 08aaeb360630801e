"""Run one service (or the gateway) as a process: ``ecommunity-service <name>``.

Checks the configuration and that PostgreSQL (migrated) and RabbitMQ answer; if not, prints one
line saying what is missing and how to start it, and exits 1 — no traceback. Then runs the nameko
container until SIGTERM or Ctrl-C, which stop it gracefully (running workers finish, messages in
flight are returned to their queue); a second signal kills it.
"""

from __future__ import annotations

import eventlet

import kernel  # noqa: F401 - first: silences eventlet's deprecation notice

eventlet.monkey_patch()  # before anything opens a socket

import argparse
import gc
import logging
import os
import signal
import sys

from kernel.config import SERVICE_CLASSES, load_class
from kernel.launcher import DIE_WITH_PARENT, die_with_parent

#: container allocations (net of frees) between two collections of the youngest generation
#: (CPython's default is 700: a page of items is a few thousand, so several collections per request,
#: each walking every object the requests in flight hold)
GC_YOUNG_THRESHOLD = 10_000


def tune_collector() -> None:
    """Once the service is built: what it imported and made at start lives as long as the process
    (modules, schemas, plans), so ``gc.freeze`` takes it out of every later collection; then the
    young generation is collected every ``GC_YOUNG_THRESHOLD`` allocations instead of 700. Objects
    are still freed at once by reference counting; only cycles wait for a collection."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def schema_problem(database_url: str, schema: str) -> str | None:
    import psycopg2

    conn = psycopg2.connect(database_url, connect_timeout=3)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.schema_migrations",))
            row = cur.fetchone()
            if not (row and row[0]):
                return f"the database has no schema {schema!r} yet; run `make migrate`"
    finally:
        conn.close()
    return None


def main(argv: list[str] | None = None) -> int:
    from kernel import logging as klogging
    from kernel import wire
    from kernel.config import ConfigError, Settings, preflight
    from kernel.db import make_green

    parser = argparse.ArgumentParser(prog="ecommunity-service")
    parser.add_argument("service", help=f"one of {', '.join(SERVICE_CLASSES)} or module:Class")
    args = parser.parse_args(argv)
    prog = f"ecommunity-{args.service.rpartition(':')[2].lower()}"
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    make_green()
    wire.install()
    try:
        cls = load_class(args.service)
    except (ImportError, AttributeError) as exc:
        print(f"{prog}: cannot load {args.service!r}: {exc}", file=sys.stderr)
        return 2
    service_name = cls.name
    problems = preflight(settings)
    if not problems and service_name != "gateway":
        line = schema_problem(settings.database_url, service_name)
        problems = [line] if line else []
    if problems:
        for line in problems:
            print(f"{prog}: {line}", file=sys.stderr)
        return 1

    from nameko.runners import ServiceRunner

    klogging.configure(service_name, settings.log_level, settings.log_format)
    runner = ServiceRunner(settings.nameko_config(service_name))
    runner.add_service(cls)

    if os.environ.get(DIE_WITH_PARENT) == "1":
        die_with_parent()
    stopping: list[int] = []

    def stop_within_grace():
        # a graceful stop waits for the broker; if it is unreachable, that could be forever
        try:
            with eventlet.Timeout(settings.shutdown_grace_seconds):
                runner.stop()
        except eventlet.Timeout:
            logging.getLogger("kernel.runner").warning(
                "%s did not stop within %ss; killing it", service_name, settings.shutdown_grace_seconds
            )
            runner.kill()

    def on_signal(signum, frame):
        if stopping:
            runner.kill()
        else:
            stopping.append(signum)
            eventlet.spawn(stop_within_grace)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runner.start()
    tune_collector()

    logging.getLogger("kernel.runner").info("%s started", service_name)
    try:
        runner.wait()
    except Exception:
        logging.getLogger("kernel.runner").exception("%s stopped on an error", service_name)
        return 1
    logging.getLogger("kernel.runner").info("%s stopped", service_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
