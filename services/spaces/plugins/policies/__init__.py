"""Join policies: how a candidate becomes a member of a community (docs/spaces.md, "Membership").

A community's charter names its policy (``charter.membership.policy``). Each policy is a plugin
found through the ``ecommunity.join_policies`` entry-point group (``pyproject.toml``, loaded by
``services.spaces.plugins.load_plugins``): an object with a ``name`` and one pure decision,
``decide(terms, application)``, that answers what a join does now:

- ``Admit(role, via)`` — the candidate is a member at once (``open``);
- ``OpenRequest(policy, sponsors_required)`` — a pending join request that managers decide
  (``request``, ``criteria``) or that ``sponsors_required`` members' sponsorships complete
  (``cooptation``);
- ``Refuse(problem)`` — no: the ``kernel.errors`` exception to raise (``invitation`` only lets in
  holders of an invitation, ``criteria`` refuses an incomplete application).

Policies see the charter's membership terms and the application only: who the candidate is,
whether they are banned or a member already, and the community's state are decided before them
(``membership_rules.check_may_join``), identically for every policy. A new policy is a module
exposing a ``JoinPolicy`` instance and one line in ``pyproject.toml``.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kernel import errors
from services.spaces.plugins import JOIN_POLICIES_GROUP, load_plugins

DEFAULT_SPONSORS = 2


@dataclass(frozen=True)
class Question:
    """A question of a criteria form; ``required`` questions need a non-empty answer."""

    id: str
    label: str = ""
    required: bool = False


@dataclass(frozen=True)
class MembershipTerms:
    """What a charter's ``membership`` section says about admission (``membership_rules.terms_of``)."""

    policy: str
    default_role: str = "member"
    sponsors_required: int = DEFAULT_SPONSORS
    questions: tuple[Question, ...] = ()
    attestations: tuple[str, ...] = ()  #: the ids of what a candidate must attest (check)


@dataclass(frozen=True)
class Application:
    """What a candidate sends with a join: a message, answers by question id, checked attestations."""

    message: str | None = None
    answers: Mapping[str, str] = field(default_factory=dict)
    attestations: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Admit:
    """The candidate becomes a member now, with ``role``; ``via`` is how (``member.joined``)."""

    role: str
    via: str


@dataclass(frozen=True)
class OpenRequest:
    """A pending join request; ``sponsors_required`` is set when members' sponsorships decide it."""

    policy: str
    sponsors_required: int | None = None


@dataclass(frozen=True)
class Refuse:
    """The join is refused with ``problem`` (a ``kernel.errors.ServiceError`` to raise)."""

    problem: errors.ServiceError


Outcome = Admit | OpenRequest | Refuse


class JoinPolicy(ABC):
    """One way of admitting members. Implementations are stateless and pure: no SQL, no clock."""

    #: the policy's name, as charters and the entry point name it
    name: str = ""
    #: whether members sponsor its requests (and the last sponsor needed admits the candidate)
    sponsored: bool = False

    @abstractmethod
    def decide(self, terms: MembershipTerms, application: Application) -> Outcome:
        """What a join does under these terms with this application (see the module docstring)."""

    def __repr__(self) -> str:
        return f"<JoinPolicy {self.name}>"


@functools.cache
def installed() -> Mapping[str, JoinPolicy]:
    """Every policy of the entry-point group, by name (loaded once per process).

    Raises TypeError when an entry point is not a ``JoinPolicy`` or names itself differently: a
    packaging mistake, refused loudly rather than served under a wrong name.
    """
    found = load_plugins(JOIN_POLICIES_GROUP)
    for name, policy in found.items():
        if not isinstance(policy, JoinPolicy) or policy.name != name:
            raise TypeError(f"entry point {name!r} of {JOIN_POLICIES_GROUP} is not a JoinPolicy named so: {policy!r}")
    return MappingProxyType(found)


def policy_named(name: str) -> JoinPolicy:
    """The installed policy ``name``; Conflict ``policy-unavailable`` when there is none."""
    policy = installed().get(name)
    if policy is None:
        raise errors.Conflict(
            f"This community's membership policy '{name}' is not available.",
            extra={"policy": name},
            code="policy-unavailable",
        )
    return policy
