"""Spaces figures: permission decisions on the local read model, and the members list's cost with
1k and 100k members (keyset pages must cost the same wherever they are)."""

from __future__ import annotations

import json
import time
import uuid

import psycopg2
import psycopg2.extras
import requests

from kernel.access import rules
from kernel.access.readmodel import AccessReadModel
from kernel.db import ConnectionPool, Transaction
from kernel.testing.infra import kernel_schema

MATRIX = {
    "manager": list(rules.PERMISSIONS),
    "moderator": ["read", "post", "comment", "co_edit", "moderate", "view_insights"],
    "member": ["read", "post", "comment"],
    "guest": ["read"],
}


def decisions(database_url: str, seconds: float, members: int = 10_000, depth: int = 5) -> dict:
    """Decisions per second by ``may`` (one SQL query + the pure rules) on one connection, on a read
    model of one community with ``members`` members and a chain of ``depth`` nested spaces; and the
    cost of the pure rules alone."""
    with kernel_schema(database_url, "bench_access") as schema:
        community = str(uuid.uuid4())
        chain = [str(uuid.uuid4()) for _ in range(depth)]
        users = [str(uuid.uuid4()) for _ in range(members)]
        _fill(database_url, schema, community, chain, users)
        pool = ConnectionPool(database_url, schema, size=1)
        tx = Transaction(pool, "bench")
        try:
            model = AccessReadModel(tx)
            count, start = 0, time.perf_counter()
            until = start + seconds
            while time.perf_counter() < until:
                for user in users[count % members : count % members + 100]:
                    model.may({"user_id": user}, "post", chain[-1])
                    count += 1
            sql_rate = count / (time.perf_counter() - start)
        finally:
            tx.rollback()
            tx.release()
            pool.close()
    community_access = rules.CommunityAccess(community, "live", rules.matrix_of(MATRIX) or {})
    spaces = [
        rules.SpaceAccess(s, community, chain[i - 1] if i else None, "public" if i == 0 else "members")
        for i, s in enumerate(chain)
    ]
    standing = rules.Standing(signed_in=True, role="member")
    rounds = 100_000
    cpu = time.process_time()
    for _ in range(rounds):
        rules.space_permissions(community_access, spaces, standing)
    pure_us = (time.process_time() - cpu) / rounds * 1e6
    return {"per_second": sql_rate, "pure_us": pure_us, "members": members, "depth": depth}


def _fill(database_url: str, schema: str, community: str, chain: list[str], users: list[str]) -> None:
    """One live community, a chain of nested spaces (a public root, members below), the users as members."""
    conn = psycopg2.connect(database_url, options=f"-c search_path={schema}")
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO access_communities VALUES (%s, 'live', %s, 1)", (community, json.dumps(MATRIX)))
        for index, space in enumerate(chain):
            cur.execute(
                "INSERT INTO access_spaces VALUES (%s, %s, %s, %s, false, NULL, 1)",
                (space, community, chain[index - 1] if index else None, "public" if index == 0 else "members"),
            )
        psycopg2.extras.execute_values(
            cur,
            "INSERT INTO access_members (community_id, user_id, role, banned, revision) VALUES %s",
            [(community, user, ("member", "guest", "moderator")[i % 3], False, 1) for i, user in enumerate(users)],
            page_size=5000,
        )
        cur.execute("ANALYZE access_members")
    conn.close()


def add_members(database_url: str, community_id: str, count: int) -> None:
    """Bulk members (role member) straight into the spaces schema and its read model, as joins would
    leave them: a measurement of reading, not of joining."""
    conn = psycopg2.connect(database_url, options="-c search_path=spaces")
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO members (community_id, user_id, role, via, joined_at)"
            " SELECT %s, gen_random_uuid(), 'member', 'open', now() - make_interval(secs => n)"
            " FROM generate_series(1, %s) AS n",
            (community_id, count),
        )
        cur.execute(
            "INSERT INTO access_members (community_id, user_id, role, banned, revision)"
            " SELECT community_id, user_id, role, false, 1 FROM members WHERE community_id = %s"
            " ON CONFLICT DO NOTHING",
            (community_id,),
        )
        cur.execute("ANALYZE members")
        cur.execute("ANALYZE access_members")
    conn.close()


def middle_cursor(gateway: str, token: str, community_id: str, pages: int) -> str:
    """The cursor of a page about ``pages`` pages in, found by walking the list as a client would
    (at most ``pages`` requests) — the position a deep reader holds."""
    cursor = None
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(pages):
        url = f"{gateway}/v1/communities/{community_id}/members?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = requests.get(url, headers=headers, timeout=30)
        page.raise_for_status()
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert cursor is not None, "the list is shorter than asked"
    return cursor


OWNER_PASSWORD = "bench owner correct horse"  # noqa: S105 - a throwaway account on a throwaway database


def token_of(gateway: str, email: str, password: str = OWNER_PASSWORD) -> str:
    response = requests.post(gateway + "/v1/auth/token", json={"email": email, "password": password}, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


def new_community(gateway: str, token: str) -> str:
    """A new community of practice, owned by the token's user (an admin)."""
    response = requests.post(
        gateway + "/v1/communities",
        json={"name": f"Bench {uuid.uuid4().hex[:8]}", "kind": "practice"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["id"]
