"""Looking at what a service stored, from tests: rows, the events of an outbox, and actors as RPC
calls carry them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg2

from kernel.auth import Actor


def schema_connection(database_url: str, schema: str):
    """An autocommit connection to a service's schema, to look at what it stored (close it, or use it
    in ``contextlib.closing``)."""
    conn = psycopg2.connect(database_url, options=f"-c search_path={schema}")
    conn.autocommit = True
    return conn


def query(conn, sql: str, params: Any = None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def events(conn, event_type: str | None = None, subject: str | None = None) -> list[dict]:
    """The ``data`` of the events in the outbox of ``conn``'s schema, oldest first, by type and/or subject."""
    sql = "SELECT envelope FROM outbox WHERE true"
    params: list[Any] = []
    if event_type is not None:
        sql += " AND type = %s"
        params.append(event_type)
    if subject is not None:
        sql += " AND subject = %s"
        params.append(subject)
    rows = query(conn, sql + " ORDER BY seq", params)
    return [(row[0] if isinstance(row[0], dict) else json.loads(row[0]))["data"] for row in rows]


def make_actor(role: str = "member", **fields: Any) -> dict:
    """A signed-in user (a new uuid4) with the platform role ``role``, as RPC calls carry it;
    ``fields``: affiliation, organization_id, expert."""
    return Actor(user_id=str(uuid.uuid4()), platform_role=role, **fields).as_dict()
