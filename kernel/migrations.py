"""Numbered SQL migrations, one schema per service: ``make migrate`` / ``ecommunity-migrate``.

Then the event topology is declared on RabbitMQ: the ``ecommunity.events`` exchange and every
handler's queue, so that an event emitted before its consumer first started waits in that queue.

For each service the kernel's files (``kernel/sql/NNNN_*.sql``: outbox, inbox, dead letters) are
applied first, then the service's own (``services/<service>/migrations/NNNN_*.sql``), each inside
its own transaction together with its row in ``<schema>.schema_migrations``: a failing file leaves
the schema exactly as it was, and re-running applies only what is new. An applied file whose
content changed is refused (write a new migration instead). A PostgreSQL advisory lock serialises
concurrent runs (two replicas starting at once).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from kernel.config import SERVICES, ConfigError, Settings, check_postgres, check_rabbitmq, load_class, redact
from kernel.events.topology import EXCHANGE, declare

ROOT = Path(__file__).resolve().parent.parent
KERNEL_SQL = Path(__file__).resolve().parent / "sql"
FILE_PATTERN = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
SCHEMA_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str  # "kernel:0001" or "0001"
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def read_dir(directory: Path, prefix: str = "") -> list[Migration]:
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNNN_lowercase_words.sql")
        found.append(Migration(f"{prefix}{match.group(1)}", path.name, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory}: two migrations share a number")
    return found


def migrations_for(service: str, extra_dir: Path | None = None) -> list[Migration]:
    own = extra_dir if extra_dir is not None else ROOT / "services" / service / "migrations"
    return read_dir(KERNEL_SQL, "kernel:") + read_dir(own)


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True if it was created."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise ConfigError(f"DATABASE_URL={redact(url)!r} names no database")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        conn.close()


def migrate_schema(url: str, schema: str, migrations: list[Migration], out=sys.stdout) -> list[str]:
    """Apply what is new in ``migrations`` to ``schema``; returns the versions applied."""
    if not SCHEMA_PATTERN.match(schema):
        raise MigrationError(f"schema name {schema!r} is not a lowercase identifier")
    conn = psycopg2.connect(url, connect_timeout=5, application_name=f"ecommunity-migrate-{schema}")
    applied_now = []
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (zlib.crc32(f"migrate.{schema}".encode()) & 0x7FFFFFFF,))
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            cur.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.schema_migrations ("
                    " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                ).format(sql.Identifier(schema))
            )
            conn.commit()
            cur.execute(sql.SQL("SELECT version, checksum FROM {}.schema_migrations").format(sql.Identifier(schema)))
            done = dict(cur.fetchall())
        conn.commit()
        for migration in migrations:
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"{schema}: applied migration {migration.name} was edited; add a new migration instead"
                    )
                continue
            try:
                with conn.cursor() as cur:
                    cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
                    cur.execute(migration.sql)
                    cur.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                conn.commit()
            except psycopg2.Error as exc:
                conn.rollback()
                reason = (exc.pgerror or str(exc)).strip().splitlines()[0]
                raise MigrationError(f"{schema}: {migration.name} failed and was rolled back: {reason}") from None
            applied_now.append(migration.version)
            print(f"{schema}: applied {migration.name}", file=out)
    finally:
        conn.close()
    return applied_now


def migrate(url: str, services: list[str] | tuple[str, ...] = SERVICES, out=sys.stdout) -> None:
    ensure_database(url)
    for service in services:
        applied = migrate_schema(url, service, migrations_for(service), out=out)
        if not applied:
            print(f"{service}: up to date", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ecommunity-migrate", description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="*", default=list(SERVICES), help="services to migrate (default: all)")
    parser.add_argument("--no-broker", action="store_true", help="do not declare the event queues on RabbitMQ")
    args = parser.parse_args(argv)
    unknown = [s for s in args.services if s not in SERVICES]
    if unknown:
        print(f"ecommunity-migrate: unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}")
        return 2
    try:
        settings = Settings.from_env()
        parts = urlsplit(settings.database_url)
        problem = check_postgres(urlunsplit(parts._replace(path="/postgres")))
        if problem:
            print(f"ecommunity-migrate: {problem}")
            return 1
        migrate(settings.database_url, args.services)
        if not args.no_broker:
            problem = check_rabbitmq(settings.amqp_uri)
            if problem:
                print(f"ecommunity-migrate: {problem}")
                return 1
            queues = declare(settings.amqp_uri, [load_class(s) for s in args.services], settings.event_queue_type)
            print(f"rabbitmq: exchange {EXCHANGE} and {len(queues)} handler queue(s) declared")
    except (ConfigError, MigrationError) as exc:
        print(f"ecommunity-migrate: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
