"""Co-edition, without a database: the three-way merge of title, fields and body, its conflicts and
proposal, and the diff between two revisions."""

import json

import pytest

from services.publishing.coedition import MergeResult, Version, diff, merge

BASE_BODY = "Intro paragraph.\n\nMiddle paragraph.\n\nLast paragraph.\n"


def _version(body: str = BASE_BODY, title: str | None = "Title", **fields) -> Version:
    return Version(title=title, body=body, fields=fields)


def _clean(result: MergeResult) -> Version:
    assert result.conflicts == []
    assert result.merged == result.proposal
    assert result.merged is not None
    return result.merged


# -- body ---------------------------------------------------------------------------------------------


def test_edits_to_different_paragraphs_merge_automatically():
    theirs = _version(BASE_BODY.replace("Intro paragraph.", "Intro, reworded by them."))
    yours = _version(BASE_BODY.replace("Last paragraph.", "Last, reworded by you."))
    merged = _clean(merge(_version(), theirs, yours))
    assert merged.body == "Intro, reworded by them.\n\nMiddle paragraph.\n\nLast, reworded by you.\n"


def test_a_line_added_on_each_side_at_different_places_merges():
    theirs = _version("New first line.\n" + BASE_BODY)
    yours = _version(BASE_BODY + "\nA closing paragraph.\n")
    assert _clean(merge(_version(), theirs, yours)).body == (
        "New first line.\n" + BASE_BODY + "\nA closing paragraph.\n"
    )


def test_overlapping_edits_conflict_with_both_sides_between_markers():
    theirs = _version(BASE_BODY.replace("Middle paragraph.", "Middle, their version."))
    yours = _version(BASE_BODY.replace("Middle paragraph.", "Middle, your version."))
    result = merge(_version(), theirs, yours)
    assert result.merged is None
    assert result.conflicts == ["body"]
    assert result.proposal.body == (
        "Intro paragraph.\n\n"
        "<<<<<<< theirs\n"
        "Middle, their version.\n"
        "=======\n"
        "Middle, your version.\n"
        ">>>>>>> yours\n"
        "\nLast paragraph.\n"
    )
    assert result.proposal.title == "Title"


def test_a_conflict_on_an_unterminated_last_line_keeps_markers_on_their_own_lines():
    result = merge(_version("a\nb"), _version("a\nb theirs"), _version("a\nb yours"))
    assert result.conflicts == ["body"]
    assert result.proposal.body == "a\n<<<<<<< theirs\nb theirs\n=======\nb yours\n>>>>>>> yours"


def test_a_body_changed_on_one_side_only_takes_that_side():
    changed = BASE_BODY.replace("Middle", "Central")
    assert _clean(merge(_version(), _version(changed), _version())).body == changed
    assert _clean(merge(_version(), _version(), _version(changed))).body == changed


def test_the_same_change_on_both_sides_is_taken_once():
    changed = BASE_BODY.replace("Middle", "Central")
    assert _clean(merge(_version(), _version(changed), _version(changed))).body == changed


def test_empty_bodies():
    assert _clean(merge(_version(""), _version(""), _version(""))).body == ""
    assert _clean(merge(_version(""), _version("Theirs.\n"), _version(""))).body == "Theirs.\n"
    assert _clean(merge(_version(BASE_BODY), _version(BASE_BODY), _version(""))).body == ""
    assert merge(_version(""), _version("Theirs.\n"), _version("Yours.\n")).conflicts == ["body"]


def test_a_missing_final_newline_survives_the_merge():
    theirs = _version("one\ntwo\nthree\nfour\nfive")
    yours = _version("one\ntwo\nthree\nfour\nFIVE")
    assert _clean(merge(_version("one\ntwo\nthree\nfour\nfive"), theirs, yours)).body == "one\ntwo\nthree\nfour\nFIVE"
    base = _version("one\ntwo\nthree\nfour\nfive")
    theirs = _version("ONE\ntwo\nthree\nfour\nfive")
    yours = _version("one\ntwo\nthree\nfour\nfive\nsix")
    assert _clean(merge(base, theirs, yours)).body == "ONE\ntwo\nthree\nfour\nfive\nsix"


def test_crlf_text_keeps_its_line_endings():
    base = "one\r\ntwo\r\nthree\r\nfour\r\nfive\r\n"
    theirs = base.replace("one", "ONE")
    yours = base.replace("five", "FIVE")
    assert _clean(merge(_version(base), _version(theirs), _version(yours))).body == (
        "ONE\r\ntwo\r\nthree\r\nfour\r\nFIVE\r\n"
    )


def test_a_crlf_conflict_uses_crlf_markers():
    result = merge(_version("a\r\nb\r\n"), _version("a\r\nB1\r\n"), _version("a\r\nB2\r\n"))
    assert result.proposal.body == "a\r\n<<<<<<< theirs\r\nB1\r\n=======\r\nB2\r\n>>>>>>> yours\r\n"


def test_unicode_text_merges():
    base = "Préambule.\n\n日本語の段落。\n\nFin 🙂\n"
    theirs = base.replace("Préambule.", "Préambule révisé.")
    yours = base.replace("Fin 🙂", "Fin 🎉")
    assert _clean(merge(_version(base), _version(theirs), _version(yours))).body == (
        "Préambule révisé.\n\n日本語の段落。\n\nFin 🎉\n"
    )


def test_unicode_line_separators_are_lines_of_their_own():
    base = "un\u2028deux\u2028trois\u2028quatre\u2028cinq"
    theirs = base.replace("un", "UN")
    yours = base.replace("cinq", "CINQ")
    assert _clean(merge(_version(base), _version(theirs), _version(yours))).body == (
        "UN\u2028deux\u2028trois\u2028quatre\u2028CINQ"
    )


# -- title and fields ---------------------------------------------------------------------------------


def test_a_title_changed_on_one_side_takes_that_side():
    assert _clean(merge(_version(), _version(title="Theirs"), _version())).title == "Theirs"
    assert _clean(merge(_version(), _version(), _version(title="Yours"))).title == "Yours"
    assert _clean(merge(_version(), _version(title="Same"), _version(title="Same"))).title == "Same"


def test_titles_changed_differently_conflict_and_the_proposal_keeps_theirs():
    yours_body = BASE_BODY.replace("Last", "Final")
    result = merge(_version(), _version(title="Theirs"), _version(yours_body, title="Yours"))
    assert result.merged is None
    assert result.conflicts == ["title"]
    assert result.proposal.title == "Theirs"
    assert result.proposal.body == yours_body  # the parts without conflict are still merged


def test_untitled_items_merge():
    assert _clean(merge(_version(title=None), _version(title=None), _version(title=None))).title is None


def test_fields_merge_key_by_key():
    base = _version(summary="s", tags=["a"], issue="1")
    theirs = _version(summary="their summary", tags=["a"], issue="1")
    yours = _version(summary="s", tags=["a", "b"], issue="1", extra=True)
    assert _clean(merge(base, theirs, yours)).fields == {
        "summary": "their summary",
        "tags": ["a", "b"],
        "issue": "1",
        "extra": True,
    }


def test_a_key_removed_on_one_side_is_removed():
    base = _version(summary="s", capacity=3)
    assert _clean(merge(base, _version(capacity=3), base)).fields == {"capacity": 3}
    assert _clean(merge(base, base, _version(summary="s"))).fields == {"summary": "s"}


def test_a_null_value_is_not_an_absent_key():
    base = _version(summary="s")
    assert _clean(merge(base, base, _version(summary=None))).fields == {"summary": None}


def test_fields_changed_differently_conflict_per_key():
    base = _version(summary="s", tags=["a"], issue="1")
    theirs = _version(summary="theirs", tags=["a", "t"], issue="1")
    yours = _version(summary="yours", tags=["a", "y"], issue="2")
    result = merge(base, theirs, yours)
    assert result.merged is None
    assert sorted(result.conflicts) == ["fields.summary", "fields.tags"]
    assert result.proposal.fields == {"summary": "theirs", "tags": ["a", "t"], "issue": "2"}


def test_removed_on_one_side_and_changed_on_the_other_conflicts():
    base = _version(summary="s")
    result = merge(base, _version(), _version(summary="yours"))
    assert result.conflicts == ["fields.summary"]
    assert result.proposal.fields == {}  # theirs: removed


def test_every_part_can_conflict_at_once():
    base = _version("x\n", title="T", summary="s")
    result = merge(base, _version("x1\n", title="T1", summary="s1"), _version("x2\n", title="T2", summary="s2"))
    assert result.conflicts == ["title", "body", "fields.summary"]
    assert result.merged is None


def test_nothing_changed_gives_the_base_back():
    assert _clean(merge(_version(summary="s"), _version(summary="s"), _version(summary="s"))) == _version(summary="s")


# -- diff ---------------------------------------------------------------------------------------------


def test_a_diff_per_part():
    a = _version(summary="old", tags=["a"])
    b = _version(BASE_BODY.replace("Middle paragraph.", "Middle, rewritten."), title="New title", tags=["a"], issue="7")
    result = diff(a, b, "revision 1", "revision 2")
    assert result["title"] == {"from": "Title", "to": "New title"}
    assert result["fields"] == {"summary": {"from": "old", "to": None}, "issue": {"from": None, "to": "7"}}
    assert result["body"] == (
        "--- revision 1\n"
        "+++ revision 2\n"
        "@@ -1,5 +1,5 @@\n"
        " Intro paragraph.\n"
        " \n"
        "-Middle paragraph.\n"
        "+Middle, rewritten.\n"
        " \n"
        " Last paragraph.\n"
    )
    assert json.loads(json.dumps(result)) == result


def test_a_diff_of_equal_versions_is_empty():
    assert diff(_version(summary="s"), _version(summary="s"), "1", "2") == {"title": None, "fields": {}, "body": ""}


def test_a_diff_reads_the_same_for_crlf_and_unterminated_text():
    result = diff(_version("one\r\ntwo\r\n"), _version("one\r\nthree"), "1", "2")
    assert result["body"] == "--- 1\n+++ 2\n@@ -1,2 +1,2 @@\n one\n-two\n+three\n"


def test_a_diff_from_or_to_an_empty_body():
    assert diff(_version(""), _version("new\n"), "1", "2")["body"] == "--- 1\n+++ 2\n@@ -0,0 +1 @@\n+new\n"
    assert diff(_version("old\n"), _version(""), "1", "2")["body"] == "--- 1\n+++ 2\n@@ -1 +0,0 @@\n-old\n"


@pytest.mark.parametrize(("a", "b"), [("Title", None), (None, "Title")])
def test_a_diff_of_a_title_set_or_cleared(a, b):
    assert diff(_version(title=a), _version(title=b), "1", "2")["title"] == {"from": a, "to": b}
