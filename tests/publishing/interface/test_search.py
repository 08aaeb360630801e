"""Full-text search through a real PublishingService: words matched in each community's language
(French and English stemming), a title match ranked first, snippets whose only markup is <mark>,
filters, keyset pages without duplicates, relevance within the newest window of matches, and the leak
matrix — what one may not read (confidential, extended, unpublished, in a members' space) never
appears."""

from __future__ import annotations

import uuid

import pytest

from kernel import errors
from kernel.db import ConnectionPool, Transaction
from services.publishing import search
from tests.publishing.interface.conftest import Place, bring_to, make_actor, published, query, unique_name


def token() -> str:
    """A word no other test's item holds (letters only: every configuration keeps it as one lexeme)."""
    return "zq" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:12])


@pytest.fixture
def community(spaces, sdb, pdb):
    """``community(languages)``: a new live interest community in those languages, known to publishing."""

    def make(languages: list[str]) -> Place:
        owner = make_actor("community_creator")
        made = spaces.create_community(owner, {"kind": "interest", "name": unique_name(), "languages": languages})
        made = bring_to(spaces, owner, made, "live")
        listed = spaces.list_spaces(owner, made["id"], 100, None)["items"]
        return Place(spaces, sdb, pdb, made["id"], owner, {space["name"]: space["id"] for space in listed}).known()

    return make


def found(publishing, who, q: str, **filters) -> list[str]:
    return [hit["content_id"] for hit in publishing.search(who, q, 100, None, **filters)["items"]]


def test_words_are_matched_in_the_community_language(publishing, community, pdb):
    french, english = community(["fr", "en"]), community(["en"])
    manger = published(publishing, french.owner, french.public, title="Le repas", body="Il faut manger ensemble.")
    runs = published(publishing, english.owner, english.public, title="Morning", body="She runs every day.")
    sql = "SELECT id::text, search_config::text FROM contents WHERE id IN (%s, %s)"
    configs = query(pdb, sql, (manger["id"], runs["id"]))
    assert dict(configs) == {manger["id"]: "french", runs["id"]: "english"}
    # PostgreSQL's French Snowball stemmer keeps "mangeons" whole ('mangeon'): "mangerons" stems to 'mang'
    assert found(publishing, None, "mangerons", community_id=french.id) == [manger["id"]]
    assert found(publishing, None, "mangé", community_id=french.id) == [manger["id"]]
    assert found(publishing, None, "running", community_id=english.id) == [runs["id"]]
    # each row's own language: "mangerons" is no English word's stem
    assert found(publishing, None, "mangerons", community_id=english.id) == []


def test_a_title_match_ranks_first_and_snippets_mark_words_and_escape_html(publishing, community):
    place = community(["en"])
    word = token()
    in_body = published(
        publishing, place.owner, place.public, title="Other", body=f"<script>alert(1)</script> about {word} here"
    )
    in_title = published(publishing, place.owner, place.public, title=f"All about {word}", body="Nothing.")
    hits = publishing.search(None, word, 20, None)["items"]
    assert [hit["content_id"] for hit in hits] == [in_title["id"], in_body["id"]]
    assert hits[0]["rank"] > hits[1]["rank"]
    snippet = hits[1]["snippet"]
    assert f"<mark>{word}</mark>" in snippet
    assert "<script>" not in snippet
    assert "alert(1)&lt;/script&gt;" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert set(hits[0]) == {
        "content_id", "community_id", "space_id", "type", "title", "snippet", "rank", "published_at"
    }  # fmt: skip
    assert (hits[0]["title"], hits[0]["community_id"], hits[0]["type"]) == (f"All about {word}", place.id, "news")


def test_filters_by_community_space_and_type(publishing, community):
    one, other = community(["en"]), community(["en"])
    word = token()
    news = published(publishing, one.owner, one.public, body=f"{word} news")
    topic = published(publishing, one.owner, one.public, type="topic", body=f"{word} topic")
    inner = published(publishing, one.owner, one.members, body=f"{word} inside")
    elsewhere = published(publishing, other.owner, other.public, body=f"{word} elsewhere")
    reply = published(publishing, one.owner, one.public, type="reply", title=None, parent_id=topic["id"], body=word)
    owner = one.owner
    in_one = {news["id"], topic["id"], inner["id"], reply["id"]}
    assert set(found(publishing, owner, word)) == in_one | {elsewhere["id"]}
    assert set(found(publishing, owner, word, community_id=one.id)) == in_one
    assert set(found(publishing, owner, word, space_id=one.members)) == {inner["id"]}
    assert set(found(publishing, owner, word, type="topic")) == {topic["id"]}
    assert found(publishing, owner, word, space_id=one.public, community_id=other.id) == []
    untitled = publishing.search(owner, word, 20, None, type="reply")["items"]
    assert [(hit["content_id"], hit["title"]) for hit in untitled] == [(reply["id"], None)]


def test_pages_follow_the_rank_without_duplicates(publishing, community):
    place = community(["en"])
    word = token()
    made = {published(publishing, place.owner, place.public, body=f"{word} " * (n + 1))["id"] for n in range(5)}
    made |= {published(publishing, place.owner, place.public, body=f"{word} same")["id"] for _ in range(2)}
    seen, after, ranks = [], None, []
    while True:
        page = publishing.search(None, word, 2, after)
        seen += [hit["content_id"] for hit in page["items"]]
        ranks += [hit["rank"] for hit in page["items"]]
        after = page["next"]
        if after is None:
            break
        assert set(after) == {"rank", "published_at", "id"}
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == made
    assert ranks == sorted(ranks, reverse=True)


def test_relevance_ranks_the_newest_window_of_matches_and_pages_to_its_end(publishing, community, monkeypatch):
    # the services run in this process (tests/publishing/interface/conftest.py): a window of 5 matches
    monkeypatch.setattr(search, "WINDOW", 5)
    place = community(["en"])
    word = token()
    # the two oldest matches would rank first (the word in their title), but they are not among the newest 5
    older = [published(publishing, place.owner, place.public, title=f"All about {word}")["id"] for _ in range(2)]
    repeats = (2, 3, 1, 5, 2, 4)  # the first of these falls out of the window too
    made = [published(publishing, place.owner, place.public, body=f"{word} " * n)["id"] for n in repeats]
    window = dict(zip(made[1:], repeats[1:], strict=True))
    for filters in ({}, {"community_id": place.id}):
        seen, after, ranks = [], None, []
        while True:
            page = publishing.search(place.owner, word, 2, after, **filters)
            seen += [hit["content_id"] for hit in page["items"]]
            ranks += [hit["rank"] for hit in page["items"]]
            after = page["next"]
            if after is None:
                break
        assert len(seen) == len(set(seen)) == 5, filters
        assert set(seen) == set(window), filters
        assert not set(seen) & {*older, made[0]}, filters
        # best first within the window: the most repeats (5, 4, 3, 2, 1), not the newest first
        assert [window[content_id] for content_id in seen] == [5, 4, 3, 2, 1], filters
        assert ranks == sorted(ranks, reverse=True), filters


def test_the_leak_matrix(publishing, community):
    place = community(["en"])
    organization = str(uuid.uuid4())
    place.update(organizations=[organization])
    word = token()
    items = {
        level: published(publishing, place.owner, place.public, knowledge_level=level, body=word)["id"]
        for level in ("public", "extended", "confidential")
    }
    items["members space"] = published(publishing, place.owner, place.members, body=word)["id"]
    draft = publishing.create_content(place.owner, place.public, {"type": "news", "title": word, "body": word})
    member = place.join()
    everyone = set(items.values())
    people = {
        "anonymous": (None, {items["public"]}),
        "stranger": (make_actor(), {items["public"]}),
        "employee": (
            make_actor(affiliation="employee", organization_id=organization),
            {items["public"], items["extended"]},
        ),
        "member": (member, everyone),
        "owner (and author of the draft)": (place.owner, everyone),
    }
    for name, (who, expected) in people.items():
        for filters in ({}, {"community_id": place.id}, {"space_id": place.public}):
            hits = set(found(publishing, who, word, **filters))
            assert draft["id"] not in hits, name
            wanted = expected if filters.get("space_id") is None else expected - {items["members space"]}
            assert hits == wanted, (name, filters)
    assert found(publishing, None, word, space_id=place.members) == []


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, None, 5])
def test_a_query_of_1_to_200_characters(publishing, q):
    with pytest.raises(errors.InvalidInput):
        publishing.search(None, q)


def test_refused_filters_and_cursors(publishing):
    with pytest.raises(errors.InvalidInput):
        publishing.search(None, "word", 20, None, community_id="nope")
    with pytest.raises(errors.InvalidInput):
        publishing.search(None, "word", 20, None, type="poem")
    position = {"published_at": "2026-01-01T00:00:00+00:00", "id": str(uuid.uuid4())}
    with pytest.raises(errors.InvalidInput):
        publishing.search(None, "word", 20, {**position, "rank": "nan"})
    with pytest.raises(errors.InvalidInput):
        publishing.search(None, "word", 20, {**position, "rank": "high"})
    with pytest.raises(errors.InvalidInput):
        publishing.search(None, "word", 20, position)


def test_a_query_is_rare_unless_the_planner_counts_one_of_its_words(publishing, community, pdb, database_url):
    """The planner guesses the frequency of a word outside the column's most common lexemes (it would
    walk the newest items to find a rare word's few matches): such a query takes the GIN index."""
    place = community(["en"])
    common, rare = token(), token()
    for number in range(40):
        published(publishing, place.owner, place.public, body=f"{common} item {number}")
    with pdb.cursor() as cur:
        cur.execute("ANALYZE contents")
    pool = ConnectionPool(database_url, "publishing", size=1)
    entry = object.__new__(search.SearchEntrypoints)
    entry.db = Transaction(pool, "test")
    try:
        assert entry._forms(common)[1] is True
        assert entry._forms(f"{common} -{rare}")[1] is True
        assert entry._forms(rare)[1] is False
        assert entry._forms(f'"{rare} {rare}"')[1] is False
        assert "english" not in entry._forms("the")[0]  # a stop word there: no form in that configuration
    finally:
        entry.db.rollback()
        entry.db.release()
        pool.close()
    assert len(found(publishing, place.owner, common)) == 40  # either way, the same answers
    assert found(publishing, place.owner, rare) == []
