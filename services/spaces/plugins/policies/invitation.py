"""``invitation``: nobody joins by asking; members come in by accepting an invitation
(``accept_invitation``), which does not go through a policy."""

from __future__ import annotations

from kernel import errors
from services.spaces.plugins.policies import Application, JoinPolicy, MembershipTerms, Outcome, Refuse


class InvitationPolicy(JoinPolicy):
    name = "invitation"

    def decide(self, terms: MembershipTerms, application: Application) -> Outcome:
        return Refuse(
            errors.PermissionDenied("This community admits members by invitation only.", code="invitation-only")
        )


POLICY = InvitationPolicy()
