"""Fixtures for the kernel's tests: the probe services' schemas, emptied before each test."""

import io
from pathlib import Path

import psycopg2
import pytest

from kernel.migrations import migrate_schema, migrations_for

MIGRATIONS = Path(__file__).parent / "migrations"
PROBE_SCHEMAS = ("probe_producer", "probe_consumer")


@pytest.fixture(scope="session")
def probe_database_url(database_url):
    for schema in PROBE_SCHEMAS:
        migrate_schema(database_url, schema, migrations_for(schema, MIGRATIONS / schema), out=io.StringIO())
    return database_url


@pytest.fixture
def probe_db(probe_database_url):
    """A connection to the run's database, with the probe tables emptied."""
    conn = psycopg2.connect(probe_database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for schema in PROBE_SCHEMAS:
            cur.execute(f"TRUNCATE {schema}.outbox, {schema}.inbox, {schema}.dead_letters")
        cur.execute("TRUNCATE probe_producer.notes, probe_consumer.applied_notes, probe_consumer.fixes")
    yield conn
    conn.close()


def scalar(conn, query, params=None):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]
