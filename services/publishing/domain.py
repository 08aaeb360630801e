"""The publishing service's rules, free of nameko and SQL (docs/publishing.md, "The workflow").

- ``TRANSITIONS``: the states an item may go to from each state;
- ``Policy``: how an item is validated (``none``, ``pre_moderation``, ``multi_step`` with its steps),
  chosen (``Policy.applying``) among its space's, its ancestors' and its charter's policies in the
  access read model: per space and per content type;
- who may do what with an item (``Caller``: their permissions and role in the item's space) and what
  each action does (``submit``, ``approve``, ``reject``, ``publish``, ``archive``, ``edit``), as a list
  of ``Move`` (one per recorded transition);
- ``my_actions``: what a caller may do with an item now;
- knowledge levels and titles.

A refused action raises the ``kernel.errors`` exception the contract names: ``Conflict`` ``archived``
in a read-only place, ``PermissionDenied`` for a caller who may not, ``Conflict``
``transition-not-allowed`` (with ``state`` and ``allowed``: the caller's actions now) for an item
whose state does not allow it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kernel import errors
from kernel.events.catalog.publishing import KNOWLEDGE_LEVELS

MODES = ("none", "pre_moderation", "multi_step")
ACTIONS = ("edit", "submit", "approve", "reject", "publish", "archive", "restore")

#: from each state, the states an item may go to (``in_review`` → ``in_review``: the next step)
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"draft"}),
    "draft": frozenset({"submitted", "in_review", "approved", "published", "archived"}),
    "submitted": frozenset({"approved", "rejected"}),
    "in_review": frozenset({"in_review", "approved", "rejected"}),
    "approved": frozenset({"published", "archived"}),
    "published": frozenset({"archived"}),
    "rejected": frozenset({"draft", "archived"}),
    "archived": frozenset(),
}
#: states in which each action applies
EDITABLE = frozenset({"draft", "rejected", "published"})
WAITING = frozenset({"submitted", "in_review"})
ARCHIVABLE = frozenset({"draft", "rejected", "approved", "published"})
ACTION_STATES: dict[str, frozenset[str]] = {
    "edit": EDITABLE,
    "restore": EDITABLE,
    "submit": frozenset({"draft"}),
    "approve": WAITING,
    "reject": WAITING,
    "publish": frozenset({"approved"}),
    "archive": ARCHIVABLE,
}
#: permissions that make one an approver in a space (besides a validation step's role)
APPROVING = frozenset({"moderate", "validate"})
#: knowledge levels, least restricted first
LEVEL_RANK = {level: rank for rank, level in enumerate(("public", "extended", "confidential"))}
TITLE_MAX = 300


# -- the community's validation policy ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    role: str


@dataclass(frozen=True)
class Policy:
    """How items of a community are validated: ``mode`` and, for ``multi_step``, its ``steps``."""

    mode: str = "none"
    steps: tuple[Step, ...] = ()

    @classmethod
    def of(cls, rule: Mapping[str, Any]) -> Policy:
        """The policy of one rule (``{mode, steps}``); ``none`` for a mode this service does not know,
        one approval for a ``multi_step`` without steps."""
        mode = rule.get("mode")
        if mode not in MODES:
            return cls()
        steps = tuple(
            Step(str(step["name"]), str(step["role"]))
            for step in rule.get("steps") or ()
            if isinstance(step, Mapping) and "name" in step and "role" in step
        )
        if mode == "multi_step" and not steps:
            return cls("pre_moderation")
        return cls(mode, steps if mode == "multi_step" else ())

    @classmethod
    def applying(cls, validations: Iterable[Mapping[str, Any] | None], content_type: str) -> Policy:
        """The policy for an item of ``content_type``, from the validation policies that may apply
        to it, nearest first (its space's own, its ancestors', then the charter's; ``None``: the
        place follows its parent): the first with a rule for the type, or else a mode of its own,
        wins; ``none`` when none says anything."""
        for validation in validations:
            if not isinstance(validation, Mapping):
                continue
            typed = (validation.get("types") or {}).get(content_type)
            if isinstance(typed, Mapping):
                return cls.of(typed)
            if validation.get("mode") is not None:
                return cls.of(validation)
        return cls()

    def step_at(self, index: int | None) -> Step | None:
        """The step at ``index``; ``None`` outside the steps (they changed since the item entered)."""
        if index is None or not 0 <= index < len(self.steps):
            return None
        return self.steps[index]

    def step_name(self, index: int | None) -> str | None:
        step = self.step_at(index)
        return None if step is None else step.name

    @property
    def step_roles(self) -> frozenset[str]:
        return frozenset(step.role for step in self.steps)


# -- who and what ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who acts, in the item's space: ``permissions`` (empty when they cannot see the space) and
    ``role`` (their role there, ``None`` when not a member there)."""

    user_id: str | None
    permissions: frozenset[str] = frozenset()
    role: str | None = None


@dataclass(frozen=True)
class Item:
    """What the rules need to know of a content item."""

    state: str
    author_id: str | None
    co_edited: bool = False
    step: int | None = None
    publish_at: datetime | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any], co_edited: bool) -> Item:
        author = row.get("author_id")
        return cls(
            state=row["state"],
            author_id=None if author is None else str(author),
            co_edited=co_edited,
            step=row.get("step"),
            publish_at=row.get("publish_at"),
        )


@dataclass(frozen=True)
class Move:
    """One transition to record: ``step`` is the item's step index after it, ``step_name`` the name
    of the validation step it concerns (entered or approved), ``reason`` a rejection's."""

    from_state: str | None
    to_state: str
    step: int | None = None
    step_name: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Approval:
    """What an approval did: its moves, the step it passed (``None`` for single-step
    pre-moderation), whether the item is approved as a whole and whether it is published now."""

    moves: list[Move] = field(default_factory=list)
    step_name: str | None = None
    final: bool = False
    published: bool = False


def is_author(item: Item, caller: Caller) -> bool:
    return caller.user_id is not None and caller.user_id == item.author_id


def may_write(item: Item, caller: Caller) -> bool:
    """Edit (and restore a revision): the author while they may ``post`` in the space, or anyone
    with ``co_edit`` there for a co-edited type."""
    return (is_author(item, caller) and "post" in caller.permissions) or (
        item.co_edited and "co_edit" in caller.permissions
    )


def may_approve_somewhere(caller: Caller, policy: Policy) -> bool:
    """Whether the caller approves anything in the space: ``moderate``, ``validate``, or the role of
    one of the validation steps."""
    return bool(caller.permissions & APPROVING) or (caller.role is not None and caller.role in policy.step_roles)


def may_decide(item: Item, caller: Caller, policy: Policy) -> bool:
    """Approve or reject the item at its current step: ``moderate`` always; a submitted item (one
    approval) ``validate``; a step of a review, a member whose role in the space is the step's."""
    if "moderate" in caller.permissions:
        return True
    if item.state == "submitted":
        return "validate" in caller.permissions
    if item.state == "in_review":
        step = policy.step_at(item.step)
        return step is not None and caller.role == step.role and "read" in caller.permissions
    return False


def may_archive(item: Item, caller: Caller) -> bool:
    return is_author(item, caller) or "moderate" in caller.permissions


def sees_history(caller: Caller, policy: Policy) -> bool:
    """Who moderates or validates in the space reads an item's transitions."""
    return may_approve_somewhere(caller, policy)


def _permitted(action: str, item: Item, caller: Caller, policy: Policy) -> bool:
    """Whether the caller is one who may do ``action`` (whatever the item's state)."""
    if action in ("edit", "restore"):
        return may_write(item, caller)
    if action == "submit":
        return is_author(item, caller) and "post" in caller.permissions
    if action in ("approve", "reject", "publish"):
        return may_approve_somewhere(caller, policy)
    if action == "archive":
        return may_archive(item, caller)
    return False


def _allowed(action: str, item: Item, caller: Caller, policy: Policy) -> bool:
    if item.state not in ACTION_STATES[action] or not _permitted(action, item, caller, policy):
        return False
    if action in ("approve", "reject"):
        return may_decide(item, caller, policy)
    return True


def my_actions(item: Item, caller: Caller, policy: Policy, read_only: bool = False) -> list[str]:
    """What the caller may do with the item now (nothing in an archived community or space)."""
    if read_only:
        return []
    return [action for action in ACTIONS if _allowed(action, item, caller, policy)]


def check(action: str, item: Item, caller: Caller, policy: Policy, read_only: bool = False) -> None:
    """Raise unless the caller may do ``action`` now: Conflict ``archived`` in a read-only place,
    PermissionDenied for one who may not, Conflict ``transition-not-allowed`` (``state``,
    ``allowed``) when the item's state does not allow it."""
    if read_only:
        raise errors.Conflict("The community or the space is archived and read-only.", code="archived")
    if not _permitted(action, item, caller, policy):
        raise errors.PermissionDenied(f"You may not {action} this item.", code="forbidden")
    if item.state not in ACTION_STATES[action]:
        raise errors.Conflict(
            f"An item in state '{item.state}' cannot be {_past(action)}.",
            extra={"state": item.state, "allowed": my_actions(item, caller, policy)},
            code="transition-not-allowed",
        )
    if action in ("approve", "reject") and not may_decide(item, caller, policy):
        step = policy.step_name(item.step)
        raise errors.PermissionDenied(
            "This decision belongs to another role." if step is None else f"The step '{step}' belongs to another role.",
            extra={"step": step},
            code="forbidden",
        )


def _past(action: str) -> str:
    return {"submit": "submitted", "edit": "edited", "restore": "restored"}.get(action, f"{action}d")


# -- what each action does ------------------------------------------------------------------------


def due(publish_at: datetime | None, now: datetime) -> bool:
    """Whether an approved item is published now (no schedule, or its time has come)."""
    return publish_at is None or publish_at <= now


def submit(item: Item, policy: Policy, now: datetime) -> list[Move]:
    """A draft submitted: published at once (``none``; approved until a future ``publish_at``),
    ``submitted`` for one approval (``pre_moderation``), ``in_review`` at step 1 (``multi_step``)."""
    if policy.mode == "pre_moderation":
        return [Move(item.state, "submitted")]
    if policy.mode == "multi_step":
        return [Move(item.state, "in_review", step=0, step_name=policy.steps[0].name)]
    if due(item.publish_at, now):
        return [Move(item.state, "published")]
    return [Move(item.state, "approved")]


def approve(item: Item, policy: Policy, now: datetime) -> Approval:
    """One approval: the next step of a review, or the item approved — and published at once unless
    it waits for its ``publish_at``."""
    if item.state == "in_review":
        step = policy.step_at(item.step)
        name = None if step is None else step.name
        index = item.step if item.step is not None else 0
        if step is not None and index + 1 < len(policy.steps):
            return Approval([Move("in_review", "in_review", step=index + 1, step_name=name)], name, final=False)
    else:
        name = None
    moves = [Move(item.state, "approved", step_name=name)]
    published = due(item.publish_at, now)
    if published:
        moves.append(Move("approved", "published"))
    return Approval(moves, name, final=True, published=published)


def reject(item: Item, policy: Policy, reason: str) -> Move:
    return Move(item.state, "rejected", step_name=policy.step_name(item.step), reason=reason)


def publish(item: Item) -> Move:
    return Move(item.state, "published")


def archive(item: Item) -> Move:
    return Move(item.state, "archived")


def edited(item: Item) -> Move | None:
    """The transition an edit causes: a rejected item becomes a draft again."""
    return Move("rejected", "draft") if item.state == "rejected" else None


# -- parts of an item -----------------------------------------------------------------------------


def check_title(titled: bool, title: Any) -> str | None:
    """The title a type takes: 1..300 characters (trimmed) for titled types, none for the others."""
    if not titled:
        if title is not None:
            raise _invalid("title", "This type has no title.")
        return None
    if not isinstance(title, str) or not title.strip():
        raise _invalid("title", "A title is required.")
    title = title.strip()
    if len(title) > TITLE_MAX:
        raise _invalid("title", f"At most {TITLE_MAX} characters.")
    return title


def check_untitled_body(titled: bool, body: str) -> None:
    """An untitled item (a reply, an answer) is its body: it cannot be blank."""
    if not titled and not body.strip():
        raise _invalid("body", "A reply or an answer needs a body.")


def child_level(given: str | None, default: str, parent_level: str) -> str:
    """A child's knowledge level: the one given, else the community's default — never less
    restricted than its parent's (an answer must not show more widely than its question)."""
    if given is not None:
        if LEVEL_RANK[given] < LEVEL_RANK[parent_level]:
            raise errors.Unprocessable(
                f"A child cannot be more widely readable than its parent ({parent_level}).",
                extra={"errors": {"knowledge_level": [f"At least {parent_level}."]}},
                code="knowledge-level-below-parent",
            )
        return given
    return default if LEVEL_RANK[default] >= LEVEL_RANK[parent_level] else parent_level


def event_title(title: str | None, knowledge_level: str) -> str | None:
    """The title an event may carry: none for confidential items."""
    return None if knowledge_level == "confidential" else title


# -- moderation ------------------------------------------------------------------------------------


def check_not_muted(until: datetime | None) -> None:
    """PermissionDenied ``muted`` while a mute is in force (``until``: its end)."""
    if until is not None:
        raise errors.PermissionDenied(
            f"You are muted in this community until {until.isoformat()}.",
            extra={"until": until.isoformat()},
            code="muted",
        )


def check_unlocked(locked: bool) -> None:
    """Conflict ``locked`` when a moderator locked the item: no new comment, reply nor answer."""
    if locked:
        raise errors.Conflict("A moderator locked this item: it takes no new comment, reply nor answer.", code="locked")


def slow_mode_wait(last: datetime | None, now: datetime, slow_seconds: int) -> int:
    """Whole seconds a member still waits before posting again in a slow space (0: they may now)."""
    if slow_seconds <= 0 or last is None:
        return 0
    return max(0, math.ceil((last - now).total_seconds() + slow_seconds))


def _invalid(name: str, message: str) -> errors.InvalidInput:
    return errors.InvalidInput(message, extra={"errors": {name: [message]}})


__all__ = [
    "ACTIONS",
    "KNOWLEDGE_LEVELS",
    "TRANSITIONS",
    "Approval",
    "Caller",
    "Item",
    "Move",
    "Policy",
    "Step",
]
