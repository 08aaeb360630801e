"""Migrations: applied once, recorded, atomic; an edited applied file is refused."""

import io

import psycopg2
import pytest

from kernel.migrations import MigrationError, migrate_schema, read_dir


def write(directory, name, text):
    (directory / name).write_text(text)


@pytest.fixture
def schema(database_url):
    name = "migration_probe"
    yield name
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    conn.cursor().execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
    conn.close()


def tables(url, schema):
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema=%s ORDER BY 1", (schema,))
        names = [r[0] for r in cur.fetchall()]
    conn.close()
    return names


def test_applied_once_then_a_no_op(database_url, schema, tmp_path):
    write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    assert migrate_schema(database_url, schema, read_dir(tmp_path), out=io.StringIO()) == ["0001"]
    assert migrate_schema(database_url, schema, read_dir(tmp_path), out=io.StringIO()) == []
    assert tables(database_url, schema) == ["schema_migrations", "things"]


def test_a_failing_migration_leaves_the_schema_as_it_was(database_url, schema, tmp_path):
    write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    migrate_schema(database_url, schema, read_dir(tmp_path), out=io.StringIO())
    write(tmp_path, "0002_broken.sql", "CREATE TABLE more (id int); ALTER TABLE nowhere ADD COLUMN x int;")
    with pytest.raises(MigrationError, match=r"0002_broken\.sql failed and was rolled back"):
        migrate_schema(database_url, schema, read_dir(tmp_path), out=io.StringIO())
    assert tables(database_url, schema) == ["schema_migrations", "things"]


def test_an_applied_migration_that_was_edited_is_refused(database_url, schema, tmp_path):
    write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    migrate_schema(database_url, schema, read_dir(tmp_path), out=io.StringIO())
    write(tmp_path, "0001_things.sql", "CREATE TABLE things (id bigint PRIMARY KEY);")
    with pytest.raises(MigrationError, match="was edited"):
        migrate_schema(database_url, schema, read_dir(tmp_path), out=io.StringIO())


def test_badly_named_files_are_refused(tmp_path):
    write(tmp_path, "1_things.sql", "")
    with pytest.raises(MigrationError, match=r"NNNN_lowercase_words\.sql"):
        read_dir(tmp_path)
