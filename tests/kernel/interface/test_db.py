"""``kernel.db.Transaction`` on real PostgreSQL: a read that stands alone opens no transaction; a
``Statement`` is prepared once per connection and runs with its generic plan."""

import psycopg2.errors
import psycopg2.extensions
import pytest

from kernel.db import ConnectionPool, Statement, Transaction, statement
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


def prepared(tx) -> dict[str, dict]:
    rows = tx.fetchall("SELECT name, generic_plans, custom_plans FROM pg_prepared_statements")
    return {row["name"]: row for row in rows}


def test_a_statement_is_prepared_once_per_connection_and_planned_once(pool):
    words = Statement(
        "SELECT word FROM unnest(%(words)s::text[]) AS w(word)"
        " WHERE word LIKE 'a%%' AND length(word) <= %(longest)s ORDER BY word"
    )
    tx = Transaction(pool, "test")
    try:
        assert tx.fetchall(words, {"words": ["ab", "b", "abc"], "longest": 2}) == [{"word": "ab"}]
        tx.rollback()  # a prepared statement outlives the transaction
        assert tx.fetchall_alone(words, {"words": [], "longest": 9}) == []
        assert tx.fetchone(words, {"words": ["abc", "ax"], "longest": 9, "unused": 1}) == {"word": "abc"}
        found = prepared(tx)[words.name]
        assert (found["generic_plans"], found["custom_plans"]) == (3, 0)  # planned once, for any values
        assert statement(words.name) is statement(words.name)  # a text assembled at run time: made once
    finally:
        tx.rollback()
        tx.release()


def test_equal_statements_share_their_preparation_and_a_failed_one_is_prepared_again(pool):
    sql = "SELECT %(n)s::int + 1 AS m"
    tx = Transaction(pool, "test")
    try:
        assert tx.fetchone(Statement(sql), {"n": 1}) == {"m": 2}
        assert tx.fetchone(Statement(sql), {"n": 2}) == {"m": 3}  # no second PREPARE of the same name
        broken = Statement("SELECT %(n)s::int + FROM nowhere")
        with pytest.raises(psycopg2.errors.SyntaxError):
            tx.fetchone(broken, {"n": 1})
        tx.rollback()
        assert broken.name not in prepared(tx)
        assert tx.fetchone(Statement(sql), {"n": 3}) == {"m": 4}
    finally:
        tx.rollback()
        tx.release()
