"""Joining, admissions, invitations, members, roles and bans: the spaces service's membership, as the
public API shows it (``docs/spaces.md``).

How a candidate joins depends on the community's policy (``charter.membership.policy``): ``open``
makes them a member at once; ``request``, ``cooptation`` and ``criteria`` file a join request that a
manager decides or that enough sponsors admit; ``invitation`` needs an invitation's token. The
gateway checks each body's shape; the spaces service applies the policy and the permissions.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.charter import ROLE_NAME, UuidText, at_most
from gateway.communities import NO_COMMUNITY
from gateway.pagination import PageQuery, page_from, page_of
from gateway.routing import route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema
from kernel.events.catalog.spaces import JOIN_ROUTES, POLICIES

REQUEST_STATUSES = ("pending", "approved", "rejected", "withdrawn")
JOIN_STATUSES = ("member", "pending")
NO_REQUEST = "No such join request, or the caller may not see it."
MANAGE_MEMBERS = "The caller lacks the `manage_members` permission in this community (`missing-permission`)."
MODERATION = "The caller has neither `manage_members` nor `moderate` in this community (`missing-permission`)."


class ApplicationSchema(Schema):
    message = fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "A word to those who decide (request, co-optation)."},
    )
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.String(validate=validate.Length(max=5000)),
        validate=at_most(100, "answers"),
        metadata={"description": "Criteria policy: the answer to each question, by question id.", "maxProperties": 100},
    )
    attestations = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=100),
        metadata={"description": "Criteria policy: the ids of the attestations the candidate accepts."},
    )


class JoinRequestsQuery(PageQuery):
    status = fields.String(
        load_default="pending",
        validate=validate.OneOf(REQUEST_STATUSES),
        metadata={"description": "Only requests in this status (default pending)."},
    )


class RejectionSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class NewInvitationSchema(Schema):
    role = fields.String(required=True, validate=ROLE_NAME, metadata={"description": "The role the invitee gets."})
    expires_in_hours = fields.Integer(
        validate=validate.Range(min=1, max=24 * 30),
        metadata={"description": "How long the token works: 1 hour to 30 days (default 7 days)."},
    )
    user_id = UuidText(
        allow_none=True, metadata={"description": "Only this user may accept; omitted: whoever holds the token."}
    )
    email = fields.Email(
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"description": "A note for the inviter of whom they invited; it is never sent anywhere."},
    )


class MembersQuery(PageQuery):
    role = fields.String(validate=ROLE_NAME, metadata={"description": "Only members with this role."})


class MemberRoleSchema(Schema):
    role = fields.String(required=True, validate=ROLE_NAME)


class BanSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class BanRecordSchema(ResponseSchema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    reason = fields.String(required=True)
    banned_by = fields.String(allow_none=True)
    banned_at = fields.String(required=True, metadata={"format": "date-time"})


class CommunityMemberSchema(ResponseSchema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    via = fields.String(metadata={"enum": list(JOIN_ROUTES), "description": "How the member came in."})
    joined_at = fields.String(metadata={"format": "date-time"})


class JoinRequestSchema(ResponseSchema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    policy = fields.String(required=True, metadata={"enum": list(POLICIES)})
    status = fields.String(required=True, metadata={"enum": list(REQUEST_STATUSES)})
    message = fields.String(allow_none=True)
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        allow_none=True,
        metadata={"description": "Criteria answers; null for readers other than managers and the candidate."},
    )
    attestations = fields.List(fields.String())
    sponsors = fields.List(fields.String(), metadata={"description": "Who sponsored the candidate so far."})
    sponsors_required = fields.Integer(allow_none=True, metadata={"description": "Co-optation: how many are needed."})
    decided_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})
    decided_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class JoinOutcomeSchema(ResponseSchema):
    status = fields.String(
        required=True,
        metadata={"enum": list(JOIN_STATUSES), "description": "member: joined now; pending: a join request was filed."},
    )
    community_id = fields.String(required=True)
    member = fields.Nested(CommunityMemberSchema, allow_none=True)
    request = fields.Nested(JoinRequestSchema, allow_none=True)


class InvitationSchema(ResponseSchema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    role = fields.String(required=True)
    user_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    expires_at = fields.String(required=True, metadata={"format": "date-time"})
    token = fields.String(
        required=True,
        metadata={"description": "Give it to the invitee (`POST /v1/invitations/{token}/accept`); shown only here."},
    )


class MembershipRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the spaces service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    # -- admissions --------------------------------------------------------------------------------

    @route(
        "POST",
        "/v1/communities/{community_id:uuid}/join",
        summary="Join a community",
        tags=["membership"],
        body=ApplicationSchema,
        response=JoinOutcomeSchema,
        auth=True,
        responses={
            403: "The caller is banned here (`banned`), or the policy is `invitation` (`invitation-only`).",
            404: NO_COMMUNITY,
            409: "The community is not live (`not-live`), the caller is a member already (`already-member`) or "
            "has a pending request (`request-pending`).",
            422: "Criteria policy: the application does not meet the criteria (`criteria-not-met`).",
        },
    )
    def join(self, request, community_id, body, actor):
        """Any signed-in user, once the community is live. With the `open` policy the caller is a member
        at once (`status: member`); with `request`, `cooptation` or `criteria` a join request is filed
        (`status: pending`) for a manager to decide, or for enough members to sponsor."""
        return self.services.call("spaces", "join", actor.as_dict(), str(community_id), body)

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/join-requests",
        summary="List join requests",
        tags=["membership"],
        query=JoinRequestsQuery,
        response=page_of(JoinRequestSchema),
        auth=True,
        responses={
            403: "The caller lacks `manage_members`, and is not a member who may sponsor (or asked for "
            "requests other than pending ones).",
            404: NO_COMMUNITY,
        },
    )
    def list_join_requests(self, request, community_id, query, actor):
        """Oldest first. Those with `manage_members` see every request, with the candidates' answers;
        other members (not guests) see the pending co-optation requests they may sponsor, without
        answers."""
        return page_from(
            self.services.call(
                "spaces",
                "list_join_requests",
                actor.as_dict(),
                str(community_id),
                query.get("status"),
                query["limit"],
                query["cursor"],
            )
        )

    @route(
        "POST",
        "/v1/join-requests/{request_id:uuid}/sponsor",
        summary="Sponsor a candidate",
        tags=["membership"],
        response=JoinRequestSchema,
        auth=True,
        responses={
            403: "The caller is not a member, or a guest (`not-a-sponsor`), or the candidate (`self-sponsorship`).",
            404: NO_REQUEST,
            409: "The request is decided (`request-closed`), not a co-optation (`not-sponsorable`), or the "
            "community is not live (`not-live`).",
        },
    )
    def sponsor_request(self, request, request_id, actor):
        """Members, under co-optation. Sponsoring twice counts once. The sponsor who brings the count
        to `sponsors_required` admits the candidate (`status: approved`)."""
        return self.services.call("spaces", "sponsor_request", actor.as_dict(), str(request_id))

    @route(
        "POST",
        "/v1/join-requests/{request_id:uuid}/approve",
        summary="Admit a candidate",
        tags=["membership"],
        response=JoinRequestSchema,
        auth=True,
        responses={
            403: MANAGE_MEMBERS,
            404: NO_REQUEST,
            409: "The request is decided (`request-closed`), the community is not live (`not-live`), or the "
            "candidate is a member already (`already-member`).",
        },
    )
    def approve_request(self, request, request_id, actor):
        """Needs `manage_members`: the candidate becomes a member with the default role."""
        return self.services.call("spaces", "approve_request", actor.as_dict(), str(request_id))

    @route(
        "POST",
        "/v1/join-requests/{request_id:uuid}/reject",
        summary="Turn a candidate down",
        tags=["membership"],
        body=RejectionSchema,
        response=JoinRequestSchema,
        auth=True,
        responses={403: MANAGE_MEMBERS, 404: NO_REQUEST, 409: "The request is decided (`request-closed`)."},
    )
    def reject_request(self, request, request_id, body, actor):
        """Needs `manage_members`; the reason is recorded with the decision."""
        return self.services.call("spaces", "reject_request", actor.as_dict(), str(request_id), body["reason"])

    # -- invitations -------------------------------------------------------------------------------

    @route(
        "POST",
        "/v1/communities/{community_id:uuid}/invitations",
        summary="Invite someone",
        tags=["membership"],
        body=NewInvitationSchema,
        response=InvitationSchema,
        status=201,
        auth=True,
        responses={
            403: "The caller lacks the `invite` permission, or invites a manager without being an owner or a "
            "manager (`manager-invitation`).",
            404: NO_COMMUNITY,
            409: "The community is archived (`archived`).",
            422: "The role does not exist here (`unknown-role`) or is `owner` (`owner-not-invitable`), or the "
            "named user is not known (`unknown-user`).",
        },
    )
    def create_invitation(self, request, community_id, body, actor):
        """Needs `invite`. A single-use token, valid until `expires_at`, that makes its holder (or only
        the named user) a member with the role; the token is in this answer only."""
        return self.services.call("spaces", "create_invitation", actor.as_dict(), str(community_id), body)

    @route(
        "POST",
        "/v1/invitations/{token}/accept",
        summary="Accept an invitation",
        tags=["membership"],
        response=CommunityMemberSchema,
        auth=True,
        responses={
            403: "The invitation names another user (`invitation-for-another-user`), or the caller is banned "
            "from the community (`banned`).",
            404: "No such invitation (`invitation-not-found`).",
            409: "The invitation was used (`invitation-used`) or has expired (`invitation-expired`), the "
            "community is not live (`not-live`), the caller is a member already (`already-member`), or the "
            "role is gone (`role-gone`).",
        },
    )
    def accept_invitation(self, request, token, actor):
        """The invitee, signed in: they become a member with the invitation's role."""
        return self.services.call("spaces", "accept_invitation", actor.as_dict(), token)

    # -- members -----------------------------------------------------------------------------------

    @route(
        "GET",
        "/v1/communities/{community_id:uuid}/members",
        summary="List members",
        tags=["membership"],
        query=MembersQuery,
        response=page_of(CommunityMemberSchema),
        auth=True,
        responses={403: "The caller is not a member (`members-only`).", 404: NO_COMMUNITY},
    )
    def list_members(self, request, community_id, query, actor):
        """Members only: who belongs, with their role and how they came in, earliest first."""
        return page_from(
            self.services.call(
                "spaces",
                "list_members",
                actor.as_dict(),
                str(community_id),
                query["limit"],
                query["cursor"],
                role=query.get("role"),
            )
        )

    @route(
        "PUT",
        "/v1/communities/{community_id:uuid}/members/{user_id:uuid}",
        summary="Change a member's role",
        tags=["membership"],
        body=MemberRoleSchema,
        response=CommunityMemberSchema,
        auth=True,
        responses={
            403: f"{MANAGE_MEMBERS} Or only an owner grants or takes away `owner` (`owner-only`).",
            404: f"{NO_COMMUNITY} Or the user is not a member (`member-not-found`).",
            409: "The member is the last owner (`last-owner`).",
            422: "The role does not exist in this community (`unknown-role`).",
        },
    )
    def set_member_role(self, request, community_id, user_id, body, actor):
        """Needs `manage_members`: the member's role becomes `role`, with its permissions at once. The same
        role changes nothing; the last owner stays one."""
        return self.services.call(
            "spaces", "set_member_role", actor.as_dict(), str(community_id), str(user_id), body["role"]
        )

    @route(
        "DELETE",
        "/v1/communities/{community_id:uuid}/members/{user_id:uuid}",
        summary="Remove a member, or leave",
        tags=["membership"],
        status=204,
        auth=True,
        responses={
            403: f"{MANAGE_MEMBERS} Or only an owner removes an owner (`owner-only`).",
            404: f"{NO_COMMUNITY} Or the user is not a member (`member-not-found`).",
            409: "The member is the last owner (`last-owner`): make another member owner first.",
        },
    )
    def remove_member(self, request, community_id, user_id, actor):
        """A member leaves with their own id; removing another member needs `manage_members`. The last
        owner can neither leave nor be removed."""
        self.services.call("spaces", "remove_member", actor.as_dict(), str(community_id), str(user_id))

    @route(
        "POST",
        "/v1/communities/{community_id:uuid}/bans/{user_id:uuid}",
        summary="Ban a user",
        tags=["membership"],
        body=BanSchema,
        response=BanRecordSchema,
        auth=True,
        responses={
            403: f"{MODERATION} Or the user is an owner (`owner-not-bannable`) or the caller (`self-ban`).",
            404: NO_COMMUNITY,
            409: "The user is banned already (`already-banned`).",
        },
    )
    def ban(self, request, community_id, user_id, body, actor):
        """Needs `manage_members` or `moderate`. The user stops being a member (if they were), their
        pending request is rejected, they cannot rejoin, and they are no more than an anonymous visitor
        in the community until unbanned."""
        return self.services.call("spaces", "ban", actor.as_dict(), str(community_id), str(user_id), body["reason"])

    @route(
        "DELETE",
        "/v1/communities/{community_id:uuid}/bans/{user_id:uuid}",
        summary="Lift a ban",
        tags=["membership"],
        status=204,
        auth=True,
        responses={403: MODERATION, 404: f"{NO_COMMUNITY} Or the user is not banned (`ban-not-found`)."},
    )
    def unban(self, request, community_id, user_id, actor):
        """Needs `manage_members` or `moderate`. The user may join again (by the community's policy);
        their membership is not given back."""
        self.services.call("spaces", "unban", actor.as_dict(), str(community_id), str(user_id))
