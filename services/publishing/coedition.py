"""Co-edition: three-way merge of an item's versions and the diff between two revisions (pure).

When a save starts from an older revision than the current one, the change is merged rather than
written over what others saved meanwhile (docs/publishing.md, "Co-edition"):

- the title and each top-level key of ``fields`` are merged as values: a part changed on one side
  only takes that side, the same change on both sides is taken once, different changes on both
  sides are a conflict (``"title"``, ``"fields.<key>"``);
- the body is merged line by line with ``merge3``; overlapping edits are a conflict (``"body"``).

A conflict saves nothing: the caller gets a ``proposal`` to start again from, which keeps *theirs*
(what is saved now) for each conflicting value and shows both sides of a body conflict between
``<<<<<<< theirs`` / ``=======`` / ``>>>>>>> yours`` markers.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import merge3

_MISSING: Any = object()  # a key absent from one version's fields (distinct from a null value)


@dataclass(frozen=True)
class Version:
    """The editable parts of an item at one revision (``title`` is ``None`` for untitled types)."""

    title: str | None
    body: str
    fields: dict


@dataclass(frozen=True)
class MergeResult:
    """The outcome of a merge: ``merged`` to save (``None`` when there is any conflict), the names of
    the conflicting parts, and the ``proposal`` (equal to ``merged`` when there is no conflict)."""

    merged: Version | None
    conflicts: list[str]
    proposal: Version


def _merge_value(base: Any, theirs: Any, yours: Any) -> tuple[Any, bool]:
    """The merged value and whether it is a conflict (then the value is ``theirs``)."""
    if theirs == yours:
        return theirs, False
    if theirs == base:
        return yours, False
    if yours == base:
        return theirs, False
    return theirs, True


def _merge_fields(base: dict, theirs: dict, yours: dict) -> tuple[dict, list[str]]:
    """Merge ``fields`` key by key; a key removed on one side and untouched on the other goes."""
    merged: dict = {}
    conflicts: list[str] = []
    for key in dict.fromkeys([*theirs, *yours, *base]):  # every key once, theirs' order first
        value, conflict = _merge_value(base.get(key, _MISSING), theirs.get(key, _MISSING), yours.get(key, _MISSING))
        if conflict:
            conflicts.append(f"fields.{key}")
        if value is not _MISSING:
            merged[key] = value
    return merged, conflicts


def _newline(*texts: str) -> str:
    """The line ending the texts use (the first one found), ``\\n`` when none has any."""
    for text in texts:
        for line in text.splitlines(keepends=True):
            if line.endswith("\r\n"):
                return "\r\n"
            if line.endswith(("\n", "\r")):
                return line[-1]
    return "\n"


def _ends_line(text: str) -> bool:
    """Whether a (non-empty) text ends with a line ending, by ``str.splitlines``' own rules."""
    return bool(text) and text.splitlines()[-1] != text.splitlines(keepends=True)[-1]


def _lines(text: str, newline: str) -> list[str]:
    """The lines of ``text`` with their endings, the last one given ``newline`` if it had none, so
    that an unterminated last line compares equal to the same line followed by others, and conflict
    markers always start on a line of their own."""
    lines = text.splitlines(keepends=True)
    if lines and not _ends_line(lines[-1]):
        lines[-1] += newline
    return lines


def _strip_last_ending(text: str) -> str:
    """``text`` without its final line ending (undoes what ``_lines`` added)."""
    if not _ends_line(text):
        return text
    return text[:-2] if text.endswith("\r\n") else text[:-1]


def _merge_body(base: str, theirs: str, yours: str) -> tuple[str, bool]:
    """The body merged line by line, and whether it has a conflict (then the text holds markers).

    Whether the text ends with a line ending is merged as a value (it cannot conflict: two booleans
    that both differ from the base are equal), so a missing final newline survives the merge.
    """
    newline = _newline(theirs, base, yours)
    merger = merge3.Merge3(_lines(base, newline), _lines(theirs, newline), _lines(yours, newline))
    conflict = any(region[0] == "conflict" for region in merger.merge_regions())
    text = "".join(merger.merge_lines(name_a="theirs", name_b="yours"))
    ends, _ = _merge_value(_ends_line(base), _ends_line(theirs), _ends_line(yours))
    return (text if ends else _strip_last_ending(text)), conflict


def merge(base: Version, theirs: Version, yours: Version) -> MergeResult:
    """Three-way merge of ``yours`` (a save started from ``base``) into ``theirs`` (saved since)."""
    conflicts: list[str] = []
    title, title_conflict = _merge_value(base.title, theirs.title, yours.title)
    if title_conflict:
        conflicts.append("title")
    body, body_conflict = _merge_body(base.body, theirs.body, yours.body)
    if body_conflict:
        conflicts.append("body")
    fields, field_conflicts = _merge_fields(base.fields or {}, theirs.fields or {}, yours.fields or {})
    conflicts.extend(field_conflicts)
    proposal = Version(title=title, body=body, fields=fields)
    return MergeResult(merged=None if conflicts else proposal, conflicts=conflicts, proposal=proposal)


def diff(a: Version, b: Version, from_label: str, to_label: str) -> dict:
    """What changed from ``a`` to ``b``, per part, JSON-able (``GET /diff?from=&to=``).

    ``title``: ``{"from", "to"}`` or ``None`` when equal; ``fields``: ``{key: {"from", "to"}}`` for
    each changed key (``None`` standing for an absent key); ``body``: a unified diff labelled
    ``from_label`` / ``to_label``, one ``\\n``-terminated line per line ("" when the lines are the
    same; line endings are not compared, so that the text reads the same whatever the author's system).
    """
    a_fields, b_fields = a.fields or {}, b.fields or {}
    changed_fields = {
        key: {"from": a_fields.get(key), "to": b_fields.get(key)}
        for key in dict.fromkeys([*a_fields, *b_fields])
        if a_fields.get(key, _MISSING) != b_fields.get(key, _MISSING)
    }
    body = "".join(
        f"{line}\n"
        for line in difflib.unified_diff(
            a.body.splitlines(), b.body.splitlines(), fromfile=from_label, tofile=to_label, lineterm=""
        )
    )
    return {
        "title": None if a.title == b.title else {"from": a.title, "to": b.title},
        "fields": changed_fields,
        "body": body,
    }
