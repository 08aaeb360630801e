"""PostgreSQL access: a green connection pool, one transaction per worker, the outbox write.

``Database`` is the nameko DependencyProvider every service declares (``db = Database()``).
Each worker gets a ``Transaction`` bound to the service's own schema (``search_path`` is the
service name, and nothing else). The kernel's entrypoints (``kernel.entrypoints.rpc``,
``kernel.events.on_event``) settle the transaction *before* they reply or acknowledge, so a caller
never sees success for a change that was not committed. ``worker_result`` settles whatever is left
(timers, HTTP handlers) and ``worker_teardown`` returns the connection to the pool.
"""

from __future__ import annotations

import logging
import queue
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg2
import psycopg2.extensions
from nameko.extensions import DependencyProvider

from kernel.config import redact, settings_of

log = logging.getLogger(__name__)

_green = False


def make_green() -> None:
    """Make psycopg2 cooperative under eventlet (idempotent). Call after eventlet.monkey_patch()."""
    global _green
    if not _green:
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()
        _green = True


def connect(url: str, schema: str | None = None, application_name: str = "ecommunity", **kwargs):
    """One connection; with ``schema`` it sees only that schema (and pg_catalog)."""
    options = f"-c search_path={schema}" if schema else None
    return psycopg2.connect(url, options=options, application_name=application_name, connect_timeout=5, **kwargs)


class PoolExhausted(RuntimeError):
    """No connection came free in time."""


class ConnectionPool:
    """A bounded pool of connections; ``acquire`` waits (cooperatively) for a free one."""

    def __init__(self, url: str, schema: str, size: int = 10, application_name: str = "ecommunity"):
        self.url = url
        self.schema = schema
        self.size = size
        self.application_name = application_name
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._created = 0
        self._closed = False

    def acquire(self, timeout: float = 30.0):
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            if self._created < self.size:
                self._created += 1
                try:
                    return connect(self.url, self.schema, self.application_name)
                except Exception:
                    self._created -= 1
                    raise
            try:
                conn = self._idle.get(timeout=timeout)
            except queue.Empty:
                raise PoolExhausted(f"no free connection to {redact(self.url)} after {timeout}s") from None
        if conn.closed:
            self._created -= 1
            return self.acquire(timeout)
        return conn

    def release(self, conn, broken: bool = False) -> None:
        if self._closed or broken or conn.closed:
            self._discard(conn)
            return
        if conn.status != psycopg2.extensions.STATUS_READY:
            try:
                conn.rollback()
            except psycopg2.Error:
                self._discard(conn)
                return
        self._idle.put(conn)

    def _discard(self, conn) -> None:
        self._created -= 1
        with suppress(psycopg2.Error):
            conn.close()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(conn)


def _names(cur) -> list[str]:
    return [column.name for column in cur.description]


class Transaction:
    """One unit of work on one connection; opened lazily at the first statement.

    ``emit`` writes an event to the outbox inside this transaction, so the event exists if and
    only if the state change does.
    """

    def __init__(self, pool: ConnectionPool, source: str, context: dict | None = None):
        self._pool = pool
        self._conn = None
        self._broken = False
        self.source = source
        #: the worker's context data (read at emit time: the correlation id is set in worker_setup)
        self.context = context if context is not None else {}
        self.emitted: list[dict] = []
        self._pending: list[dict] = []
        self.settled = False

    @property
    def connection(self):
        if self._conn is None:
            self._conn = self._pool.acquire()
        return self._conn

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A plain cursor (rows as tuples); ``fetchone``/``fetchall`` make dicts of them."""
        cur = self.connection.cursor()
        try:
            yield cur
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            self._broken = True
            raise
        finally:
            cur.close()

    def execute(self, sql: str, params: Any = None) -> int:
        with self.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def fetchone(self, sql: str, params: Any = None) -> dict | None:
        with self.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            return None if row is None else dict(zip(_names(cur), row, strict=True))

    def fetchall(self, sql: str, params: Any = None) -> list[dict]:
        """Every row as a dict by column name (built in C: ``RealDictCursor`` sets each key in Python)."""
        with self.cursor() as cur:
            cur.execute(sql, params)
            names = _names(cur)
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def fetchall_alone(self, sql: str, params: Any = None) -> list[dict]:
        """``fetchall`` as a transaction of its own when this one has not begun: no ``BEGIN`` and
        ``COMMIT`` round trips around a read that answers a request by itself. Once a statement
        has begun the transaction, the same as ``fetchall``. Only for a read that nothing the
        worker writes afterwards depends on (a later statement begins a new transaction)."""
        conn = self.connection
        if conn.autocommit or conn.status != psycopg2.extensions.STATUS_READY:
            return self.fetchall(sql, params)
        conn.autocommit = True
        try:
            return self.fetchall(sql, params)
        finally:
            if not conn.closed:
                conn.autocommit = False

    @property
    def pool(self) -> ConnectionPool:
        """The pool this transaction takes its connection from (one per service and database)."""
        return self._pool

    def emit(self, event_type: str, subject: str, data: dict, **extensions: Any) -> dict:
        """Validate an event now (a bad one raises here) and add it to this transaction's outbox.

        The rows are written in one statement just before the commit, inside the transaction.
        """
        from kernel.events.outbox import build_event

        envelope = build_event(self.source, event_type, subject, data, self.context.get("correlation_id"), **extensions)
        self.emitted.append(envelope)
        self._pending.append(envelope)
        return envelope

    def flush(self) -> None:
        """Write the pending events to the outbox (done by ``commit``)."""
        from kernel.events.outbox import insert_into_outbox

        pending, self._pending = self._pending, []
        insert_into_outbox(self, pending)

    def commit(self) -> None:
        try:
            self.flush()
        except BaseException:
            self.rollback()
            raise
        self.settled = True
        if self._conn is not None and not self._broken:
            self._conn.commit()

    def rollback(self) -> None:
        self.settled = True
        self.emitted.clear()
        self._pending.clear()
        if self._conn is not None and not self._broken and not self._conn.closed:
            try:
                self._conn.rollback()
            except psycopg2.Error:
                self._broken = True

    def release(self) -> None:
        if self._conn is not None:
            if not self.settled:
                self.rollback()
            self._pool.release(self._conn, broken=self._broken)
            self._conn = None


class Database(DependencyProvider):
    """The service's PostgreSQL schema, as one ``Transaction`` per worker.

    ``schema`` defaults to the service name: a service touches its own schema and no other.
    """

    def __init__(self, schema: str | None = None, relay: bool = True):
        self.schema_override = schema
        self.relay_wanted = relay

    def setup(self):
        from kernel import wire

        make_green()
        wire.install()
        settings = settings_of(self.container)
        self.schema: str = self.schema_override or self.container.service_name
        self.pool = ConnectionPool(
            settings.database_url,
            self.schema,
            size=settings.db_pool_size,
            application_name=f"ecommunity-{self.container.service_name}",
        )
        self.transactions: dict = {}
        self.relay = None
        self._relay_thread = None

    def start(self):
        from kernel.events.outbox import OutboxRelay
        from kernel.metrics import DATABASE_COLLECTOR

        settings = settings_of(self.container)
        DATABASE_COLLECTOR.add(self.schema, self.pool)
        if self.relay_wanted and settings.outbox_relay_enabled:
            self.relay = OutboxRelay(
                settings.database_url,
                self.schema,
                settings.amqp_uri,
                batch_size=settings.outbox_batch_size,
                poll_seconds=settings.outbox_poll_seconds,
                backoff_max=settings.outbox_backoff_max_seconds,
            )
            self._relay_thread = self.container.spawn_managed_thread(self.relay.run)

    def stop(self):
        if self.relay is not None:
            self.relay.stop()
            if self._relay_thread is not None:
                self._relay_thread.wait()
        self._forget_metrics()
        self.pool.close()

    def _forget_metrics(self):
        from kernel.metrics import DATABASE_COLLECTOR

        if DATABASE_COLLECTOR.sources.get(self.schema) is self.pool:
            del DATABASE_COLLECTOR.sources[self.schema]

    def kill(self):
        if self.relay is not None:
            self.relay.stop()
            self.relay.close()
        self._forget_metrics()
        self.pool.close()

    def get_dependency(self, worker_ctx):
        tx = Transaction(
            self.pool,
            source=self.container.service_name,
            context=worker_ctx.context_data,
        )
        self.transactions[worker_ctx] = tx
        return tx

    def settle(self, worker_ctx, exc_info):
        """Commit on success, roll back on error; returns ``exc_info`` (the commit's, if it failed)."""
        tx = self.transactions.get(worker_ctx)
        if tx is None or tx.settled:
            return exc_info
        if exc_info is not None:
            tx.rollback()
            return exc_info
        try:
            tx.commit()
        except Exception:
            log.exception("commit failed for %s", worker_ctx.entrypoint.method_name)
            tx.rollback()
            return sys.exc_info()
        return None

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        self.settle(worker_ctx, exc_info)

    def worker_teardown(self, worker_ctx):
        tx = self.transactions.pop(worker_ctx, None)
        if tx is not None:
            tx.release()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A transaction outside any worker (relay, parking, background jobs)."""
        tx = Transaction(self.pool, source=self.container.service_name)
        try:
            yield tx
            tx.commit()
        except BaseException:
            tx.rollback()
            raise
        finally:
            tx.release()


def settle_transactions(worker_ctx, exc_info):
    """Settle every Database dependency of this worker; used by entrypoints before replying."""
    for dep in worker_ctx.container.dependencies:
        if isinstance(dep, Database):
            exc_info = dep.settle(worker_ctx, exc_info)
    return exc_info
