"""``kernel.db.Transaction`` on real PostgreSQL: a read that stands alone opens no transaction."""

import psycopg2.extensions
import pytest

from kernel.db import ConnectionPool, Transaction
from kernel.testing.infra import kernel_schema


@pytest.fixture
def pool(database_url):
    with kernel_schema(database_url, "db_probe") as schema:
        pool = ConnectionPool(database_url, schema, size=2)
        yield pool
        pool.close()


def test_a_first_read_alone_opens_no_transaction(pool):
    tx = Transaction(pool, "test")
    try:
        rows = tx.fetchall_alone("SELECT txid_current_if_assigned() AS xid, now() = statement_timestamp() AS alone")
        assert rows == [{"xid": None, "alone": True}]  # its own transaction: now() is the statement's time
        assert tx.connection.status == psycopg2.extensions.STATUS_READY  # nothing left open: no COMMIT to send
        assert tx.connection.autocommit is False  # the next statements form a transaction as usual
        tx.execute("SELECT 1")
        assert tx.connection.status != psycopg2.extensions.STATUS_READY
    finally:
        tx.rollback()
        tx.release()


def test_after_a_statement_a_read_alone_is_part_of_the_transaction(pool):
    tx = Transaction(pool, "test")
    try:
        tx.execute("UPDATE access_version SET version = 41")
        assert tx.fetchall_alone("SELECT version FROM access_version") == [{"version": 41}]  # sees its own write
        tx.rollback()
        assert tx.fetchall_alone("SELECT version FROM access_version") == [{"version": 0}]
    finally:
        tx.release()
