"""SQL for members, bans, join requests, sponsorships, invitations and known users (the spaces
schema, ``migrations/0001_spaces.sql``). One ``MembershipStorage`` per worker, on its transaction;
rows come back as dicts; times are passed in by the caller.

``record`` writes a fact about a community's members with ``Facts.record`` (the outbox and the
access read model, in the same transaction); ``admit`` and ``decide`` change a row and record its
fact together. The caller holds the community's row lock (``lock_community``) and has applied the
rules (``membership_rules``) before any of them.

Lists are keyset pages: ``limit + 1`` rows after a position, in the order of an index
(``members_listing``, ``join_requests_listing``), never ``OFFSET`` nor ``COUNT``: a page costs
the same at the start of a list of 100,000 members as at its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from psycopg2.extras import Json

from kernel.db import Transaction
from kernel.events.catalog import JOIN_REQUEST_APPROVED, JOIN_REQUEST_REJECTED, MEMBER_JOINED, SPACE_MEMBER_REMOVED
from services.spaces.facts import Facts

MEMBER_COLUMNS = "community_id, user_id, role, via, joined_at"
REQUEST_COLUMNS = (
    "id, community_id, user_id, policy, status, message, answers, attestations, sponsors_required,"
    " decided_by, reason, created_at, decided_at"
)
INVITATION_COLUMNS = (
    "id, community_id, role, user_id, email, invited_by, created_at, expires_at, accepted_by, accepted_at"
)


class MembershipStorage:
    def __init__(self, tx: Transaction):
        self.tx = tx

    # -- facts ---------------------------------------------------------------------------------

    def record(self, event_type: str, community_id: str, **data: Any) -> None:
        """Record a fact about a community's members (subject ``community/<id>``)."""
        Facts(self.tx).record(event_type, f"community/{community_id}", {"community_id": community_id, **data})

    def admit(self, community_id: str, user_id: str, role: str, via: str, now: datetime) -> dict:
        """Make the user a member (``member.joined``); a pending request of theirs there is
        withdrawn (they came in another way)."""
        self.withdraw_pending(community_id, user_id, now)
        member = self.insert_member(community_id, user_id, role, via, now)
        self.record(MEMBER_JOINED, community_id, user_id=user_id, role=role, via=via)
        return member

    def decide(self, request: dict, status: str, decided_by: str | None, reason: str | None, now: datetime) -> dict:
        """Close a pending request as ``approved`` (``join_request.approved``; ``decided_by`` null when
        the last sponsor decided) or ``rejected`` with a reason (``join_request.rejected``)."""
        row = self.tx.fetchone(
            "UPDATE join_requests SET status = %s, decided_by = %s, reason = %s, decided_at = %s"
            f" WHERE id = %s RETURNING {REQUEST_COLUMNS}",
            (status, decided_by, reason, now, str(request["id"])),
        )
        assert row is not None
        facts = {"request_id": str(row["id"]), "user_id": str(row["user_id"]), "decided_by": decided_by}
        if status == "approved":
            self.record(JOIN_REQUEST_APPROVED, str(row["community_id"]), **facts)
        else:
            self.record(JOIN_REQUEST_REJECTED, str(row["community_id"]), **facts, reason=reason)
        return row

    # -- communities ---------------------------------------------------------------------------

    def lock_community(self, community_id: str) -> dict | None:
        """The community's row (state, charter, matrix), locked until the transaction ends: every
        change to its members is judged and numbered (``access_revision``) one after the other."""
        return self.tx.fetchone(
            "SELECT id, state, charter, matrix FROM communities WHERE id = %s FOR UPDATE", (community_id,)
        )

    def lock_communities(self, community_ids: Iterable[str]) -> list[dict]:
        """Several communities' rows, locked in id order (two workers never wait on each other)."""
        return self.tx.fetchall(
            "SELECT id, state, charter, matrix FROM communities WHERE id = ANY(%s::uuid[]) ORDER BY id FOR UPDATE",
            (sorted(set(community_ids)),),
        )

    def lock_communities_of(self, user_id: str) -> None:
        """Lock every community where the user has a standing (``communities_of``), until no new
        one appears (one may, between the look-up and the lock)."""
        locked: set[str] = set()
        while True:
            wanted = set(self.communities_of(user_id)) - locked
            if not wanted:
                return
            self.lock_communities(wanted)
            locked |= wanted

    # -- members -------------------------------------------------------------------------------

    def member(self, community_id: str, user_id: str) -> dict | None:
        return self.tx.fetchone(
            f"SELECT {MEMBER_COLUMNS} FROM members WHERE community_id = %s AND user_id = %s", (community_id, user_id)
        )

    def owners(self, community_id: str) -> int:
        row = self.tx.fetchone(
            "SELECT count(*) AS owners FROM members WHERE community_id = %s AND role = 'owner'", (community_id,)
        )
        return int(row["owners"]) if row else 0

    def insert_member(self, community_id: str, user_id: str, role: str, via: str, now: datetime) -> dict:
        row = self.tx.fetchone(
            f"INSERT INTO members (community_id, user_id, role, via, joined_at) VALUES (%s, %s, %s, %s, %s)"
            f" RETURNING {MEMBER_COLUMNS}",
            (community_id, user_id, role, via, now),
        )
        assert row is not None
        return row

    def set_role(self, community_id: str, user_id: str, role: str) -> dict | None:
        return self.tx.fetchone(
            f"UPDATE members SET role = %s WHERE community_id = %s AND user_id = %s RETURNING {MEMBER_COLUMNS}",
            (role, community_id, user_id),
        )

    def delete_member(self, community_id: str, user_id: str) -> dict | None:
        """End a membership, and with it the user's roles in the community's spaces
        (``space_member.removed``, ``removed_by`` null, for each)."""
        spaces = self.tx.fetchall(
            "DELETE FROM space_members sm USING spaces s WHERE sm.space_id = s.id AND s.community_id = %s"
            " AND sm.user_id = %s RETURNING sm.space_id",
            (community_id, user_id),
        )
        for row in spaces:
            self.record(
                SPACE_MEMBER_REMOVED, community_id, space_id=str(row["space_id"]), user_id=user_id, removed_by=None
            )
        return self.tx.fetchone(
            f"DELETE FROM members WHERE community_id = %s AND user_id = %s RETURNING {MEMBER_COLUMNS}",
            (community_id, user_id),
        )

    def members_page(
        self, community_id: str, limit: int, after: Sequence[Any] | None, role: str | None = None
    ) -> list[dict]:
        """``limit + 1`` members after ``(joined_at, user_id)``, oldest first (``members_listing``, or
        ``members_role_listing`` with a role)."""
        where = ["community_id = %s"]
        params: list[Any] = [community_id]
        if role is not None:
            where.append("role = %s")
            params.append(role)
        if after is not None:
            where.append("(joined_at, user_id) > (%s::timestamptz, %s::uuid)")
            params.extend(after)
        params.append(limit + 1)
        return self.tx.fetchall(
            f"SELECT {MEMBER_COLUMNS} FROM members WHERE {' AND '.join(where)} ORDER BY joined_at, user_id LIMIT %s",
            params,
        )

    def routes(self, community_id: str, user_ids: Sequence[str]) -> dict[str, str]:
        """How each member who is a tester (``via = 'pilot'``) or one of ``user_ids`` came in."""
        rows = self.tx.fetchall(
            "SELECT user_id, via FROM members WHERE community_id = %s AND (via = 'pilot' OR user_id = ANY(%s::uuid[]))",
            (community_id, list(user_ids)),
        )
        return {str(row["user_id"]): row["via"] for row in rows}

    def pilot_members(self, community_id: str) -> list[str]:
        rows = self.tx.fetchall(
            "SELECT user_id FROM members WHERE community_id = %s AND via = 'pilot' ORDER BY user_id", (community_id,)
        )
        return [str(row["user_id"]) for row in rows]

    def others(self, community_id: str, user_id: str) -> list[dict]:
        """The community's other members who could succeed an owner: managers first, then the rest
        (at most one of each is needed: the earliest-joined)."""
        return self.tx.fetchall(
            f"(SELECT {MEMBER_COLUMNS} FROM members WHERE community_id = %(c)s AND user_id <> %(u)s"
            " AND role = 'manager' ORDER BY joined_at, user_id LIMIT 1)"
            f" UNION ALL (SELECT {MEMBER_COLUMNS} FROM members WHERE community_id = %(c)s AND user_id <> %(u)s"
            " ORDER BY joined_at, user_id LIMIT 1)",
            {"c": community_id, "u": user_id},
        )

    # -- bans ----------------------------------------------------------------------------------

    def ban(self, community_id: str, user_id: str) -> dict | None:
        return self.tx.fetchone(
            "SELECT community_id, user_id, reason, banned_by, banned_at FROM bans"
            " WHERE community_id = %s AND user_id = %s",
            (community_id, user_id),
        )

    def insert_ban(self, community_id: str, user_id: str, banned_by: str, reason: str, now: datetime) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO bans (community_id, user_id, banned_by, reason, banned_at) VALUES (%s, %s, %s, %s, %s)"
            " RETURNING community_id, user_id, reason, banned_by, banned_at",
            (community_id, user_id, banned_by, reason, now),
        )
        assert row is not None
        return row

    def delete_ban(self, community_id: str, user_id: str) -> bool:
        return self.tx.execute("DELETE FROM bans WHERE community_id = %s AND user_id = %s", (community_id, user_id)) > 0

    # -- join requests -------------------------------------------------------------------------

    def pending_request(self, community_id: str, user_id: str) -> dict | None:
        return self.tx.fetchone(
            f"SELECT {REQUEST_COLUMNS} FROM join_requests WHERE community_id = %s AND user_id = %s"
            " AND status = 'pending'",
            (community_id, user_id),
        )

    def insert_request(
        self,
        request_id: str,
        community_id: str,
        user_id: str,
        policy: str,
        application: dict,
        sponsors_required: int | None,
        now: datetime,
    ) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO join_requests (id, community_id, user_id, policy, message, answers, attestations,"
            f" sponsors_required, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {REQUEST_COLUMNS}",
            (
                request_id,
                community_id,
                user_id,
                policy,
                application["message"],
                Json(application["answers"]),
                list(application["attestations"]),
                sponsors_required,
                now,
            ),
        )
        assert row is not None
        return row

    def request(self, request_id: str, for_update: bool = False) -> dict | None:
        lock = " FOR UPDATE" if for_update else ""
        return self.tx.fetchone(f"SELECT {REQUEST_COLUMNS} FROM join_requests WHERE id = %s{lock}", (request_id,))

    def withdraw_pending(self, community_id: str, user_id: str, now: datetime) -> int:
        """Close the user's pending request here (they became a member another way)."""
        return self.tx.execute(
            "UPDATE join_requests SET status = 'withdrawn', decided_at = %s"
            " WHERE community_id = %s AND user_id = %s AND status = 'pending'",
            (now, community_id, user_id),
        )

    def requests_page(
        self, community_id: str, status: str, limit: int, after: Sequence[Any] | None, policy: str | None = None
    ) -> list[dict]:
        """``limit + 1`` requests with ``status`` after ``(created_at, id)``, oldest first
        (``join_requests_listing``); only those of ``policy`` when given."""
        where = ["community_id = %s", "status = %s"]
        params: list[Any] = [community_id, status]
        if policy is not None:
            where.append("policy = %s")
            params.append(policy)
        if after is not None:
            where.append("(created_at, id) > (%s::timestamptz, %s::uuid)")
            params.extend(after)
        params.append(limit + 1)
        return self.tx.fetchall(
            f"SELECT {REQUEST_COLUMNS} FROM join_requests WHERE {' AND '.join(where)} ORDER BY created_at, id LIMIT %s",
            params,
        )

    # -- sponsorships --------------------------------------------------------------------------

    def sponsors(self, request_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each request's sponsors, in the order they sponsored."""
        found: dict[str, list[str]] = {str(rid): [] for rid in request_ids}
        if not request_ids:
            return found
        rows = self.tx.fetchall(
            "SELECT request_id, sponsor_id FROM sponsorships WHERE request_id = ANY(%s::uuid[])"
            " ORDER BY sponsored_at, sponsor_id",
            ([str(rid) for rid in request_ids],),
        )
        for row in rows:
            found[str(row["request_id"])].append(str(row["sponsor_id"]))
        return found

    def add_sponsorship(self, request_id: str, sponsor_id: str, now: datetime) -> bool:
        """False when this sponsor had sponsored this request already."""
        return (
            self.tx.execute(
                "INSERT INTO sponsorships (request_id, sponsor_id, sponsored_at) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (request_id, sponsor_id, now),
            )
            > 0
        )

    # -- invitations ---------------------------------------------------------------------------

    def insert_invitation(
        self,
        invitation_id: str,
        community_id: str,
        token_hash: bytes,
        data: dict,
        invited_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> dict:
        row = self.tx.fetchone(
            "INSERT INTO invitations (id, community_id, token_hash, role, user_id, email, invited_by, created_at,"
            f" expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {INVITATION_COLUMNS}",
            (
                invitation_id,
                community_id,
                token_hash,
                data["role"],
                data["user_id"],
                data["email"],
                invited_by,
                now,
                expires_at,
            ),
        )
        assert row is not None
        return row

    def invitation_by_token_hash(self, token_hash: bytes, for_update: bool = False) -> dict | None:
        lock = " FOR UPDATE" if for_update else ""
        return self.tx.fetchone(
            f"SELECT {INVITATION_COLUMNS} FROM invitations WHERE token_hash = %s{lock}", (token_hash,)
        )

    def mark_invitation_used(self, invitation_id: str, user_id: str, now: datetime) -> None:
        self.tx.execute(
            "UPDATE invitations SET accepted_by = %s, accepted_at = %s WHERE id = %s", (user_id, now, invitation_id)
        )

    # -- known users and erasure -----------------------------------------------------------------

    def unknown_users(self, user_ids: Iterable[str]) -> list[str]:
        """Those of ``user_ids`` that are not live accounts (never registered, or erased)."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return []
        rows = self.tx.fetchall(
            "SELECT user_id FROM known_users WHERE user_id = ANY(%s::uuid[]) AND erased_at IS NULL", (wanted,)
        )
        known = {str(row["user_id"]) for row in rows}
        return [user for user in wanted if user not in known]

    def register_user(self, user_id: str, registered_at: datetime) -> None:
        self.tx.execute(
            "INSERT INTO known_users (user_id, registered_at) VALUES (%s, %s) ON CONFLICT (user_id) DO NOTHING",
            (user_id, registered_at),
        )

    def communities_of(self, user_id: str) -> list[str]:
        """Every community where the user is a member, is banned, has a pending request or sponsors
        one: those whose rows an erasure locks."""
        rows = self.tx.fetchall(
            "SELECT community_id FROM members WHERE user_id = %(u)s"
            " UNION SELECT community_id FROM bans WHERE user_id = %(u)s"
            " UNION SELECT community_id FROM join_requests WHERE user_id = %(u)s AND status = 'pending'"
            " UNION SELECT r.community_id FROM sponsorships s JOIN join_requests r ON r.id = s.request_id"
            "  WHERE s.sponsor_id = %(u)s AND r.status = 'pending'",
            {"u": user_id},
        )
        return [str(row["community_id"]) for row in rows]

    def memberships(self, user_id: str) -> list[dict]:
        return self.tx.fetchall(
            f"SELECT {MEMBER_COLUMNS} FROM members WHERE user_id = %s ORDER BY community_id", (user_id,)
        )

    def bans_of(self, user_id: str) -> list[str]:
        rows = self.tx.fetchall("SELECT community_id FROM bans WHERE user_id = %s ORDER BY community_id", (user_id,))
        return [str(row["community_id"]) for row in rows]

    def anonymize(self, user_id: str, now: datetime) -> None:
        """Forget the user everywhere membership kept them, but in rows whose events are recorded by
        the caller (memberships, bans): pending requests withdrawn, every request's message and
        answers cleared, their sponsorships of pending requests dropped, their name removed from
        invitations, decisions, bans they pronounced, pilot feedback and the change log; the known
        user marked erased."""
        tx = self.tx
        tx.execute(
            "UPDATE join_requests SET status = 'withdrawn', decided_at = %s WHERE user_id = %s AND status = 'pending'",
            (now, user_id),
        )
        tx.execute("UPDATE join_requests SET message = NULL, answers = '{}' WHERE user_id = %s", (user_id,))
        tx.execute("UPDATE join_requests SET decided_by = NULL WHERE decided_by = %s", (user_id,))
        tx.execute(
            "DELETE FROM sponsorships s USING join_requests r"
            " WHERE s.sponsor_id = %s AND r.id = s.request_id AND r.status = 'pending'",
            (user_id,),
        )
        tx.execute("UPDATE invitations SET user_id = NULL, email = NULL WHERE user_id = %s", (user_id,))
        tx.execute("UPDATE invitations SET invited_by = NULL WHERE invited_by = %s", (user_id,))
        tx.execute("UPDATE invitations SET accepted_by = NULL WHERE accepted_by = %s", (user_id,))
        tx.execute("UPDATE bans SET banned_by = NULL WHERE banned_by = %s", (user_id,))
        tx.execute("UPDATE pilot_feedback SET user_id = NULL WHERE user_id = %s", (user_id,))
        tx.execute("UPDATE community_changes SET changed_by = NULL WHERE changed_by = %s", (user_id,))
        tx.execute(
            "INSERT INTO known_users (user_id, registered_at, erased_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET erased_at = EXCLUDED.erased_at",
            (user_id, now, now),
        )
