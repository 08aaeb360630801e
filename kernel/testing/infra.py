"""Per-run infrastructure: a database and a vhost with unique names, removed afterwards."""

from __future__ import annotations

import io
import json
import random
import shutil
import socket
import subprocess
import urllib.request
import uuid
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

#: ports tests listen on: below Linux's ephemeral range (32768-60999 by default), so that an outgoing
#: connection (to RabbitMQ, PostgreSQL, ...) can never be given, as its local port, a port a test
#: chose but has not bound yet — which a port from ``bind(0)`` could be, failing with EADDRINUSE
LISTEN_PORTS = range(20000, 32000)


def free_port() -> int:
    """A port nothing listens on now, outside the ephemeral range, picked at random (two runs on one
    machine rarely draw the same one, and one already taken is skipped)."""
    for _ in range(200):
        port = random.choice(LISTEN_PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found between 20000 and 32000")


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def with_vhost(uri: str, vhost: str) -> str:
    return urlunsplit(urlsplit(uri)._replace(path=f"/{quote(vhost, safe='')}"))


def create_database(server_url: str, name: str) -> str:
    conn = psycopg2.connect(with_database(server_url, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    conn = psycopg2.connect(with_database(server_url, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        conn.close()


class VhostAdmin:
    """Adds and deletes vhosts with ``rabbitmqctl`` (same machine) or the management API."""

    def __init__(self, amqp_uri: str, management_url: str = "http://127.0.0.1:15672"):
        self.amqp_uri = amqp_uri
        self.user = urlsplit(amqp_uri).username or "guest"
        self.password = urlsplit(amqp_uri).password or "guest"
        self.management_url = management_url
        self.ctl = shutil.which("rabbitmqctl")

    def _api(self, method: str, path: str, body: dict | None = None) -> None:
        request = urllib.request.Request(
            self.management_url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": "Basic " + b64encode(f"{self.user}:{self.password}".encode()).decode(),
                "Content-Type": "application/json",
            },
        )
        urllib.request.urlopen(request, timeout=10).close()

    def add(self, vhost: str) -> str:
        if self.ctl:
            subprocess.run([self.ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
            subprocess.run(
                [self.ctl, "set_permissions", "-p", vhost, self.user, ".*", ".*", ".*"],
                check=True,
                capture_output=True,
                timeout=60,
            )
        else:
            self._api("PUT", f"/api/vhosts/{quote(vhost, safe='')}")
            self._api(
                "PUT",
                f"/api/permissions/{quote(vhost, safe='')}/{quote(self.user, safe='')}",
                {"configure": ".*", "write": ".*", "read": ".*"},
            )
        return with_vhost(self.amqp_uri, vhost)

    def delete(self, vhost: str) -> None:
        if self.ctl:
            subprocess.run([self.ctl, "delete_vhost", vhost], capture_output=True, timeout=60)
        else:
            self._api("DELETE", f"/api/vhosts/{quote(vhost, safe='')}")


@contextmanager
def kernel_schema(database_url: str, prefix: str = "scratch") -> Iterator[str]:
    """A new schema holding only the kernel's tables (outbox, inbox, the access read model), dropped
    afterwards: for tests and benchmarks of the kernel's own SQL. Yields the schema's name."""
    from kernel.migrations import KERNEL_SQL, migrate_schema, read_dir

    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    migrate_schema(database_url, schema, read_dir(KERNEL_SQL, "kernel:"), out=io.StringIO())
    try:
        yield schema
    finally:
        conn = psycopg2.connect(database_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.close()
