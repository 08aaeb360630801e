"""Publishing figures (docs/publishing.md): through the gateway, a member's personal feed and
publishing an item beside the gateway → RPC ping, at 32 clients; and the community feed, the space
feed and search in a community of 1k and of 1M items (their cost must not grow with the community).

The big communities are filled with SQL straight into the publishing service's tables, as the
service would have left them after ``POST /v1/spaces/{id}/contents`` then ``POST .../submit`` in a
community without validation: the item (published, its ``search`` columns computed by the
migration's trigger), its first revision and its two transitions (created as a draft, published).
A measurement of reading, not of writing. The events those writes would have emitted are not made:
nothing consumes them here.

Run as a module, it is the load generator of publishing (two requests per item, so ``http_load``'s
one fixed request does not fit): ``python -m bench.publishing URL --token T --space S``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import threading
import time
import uuid
from urllib.parse import urlsplit

import psycopg2
import requests

from services.publishing.search import WINDOW

TIMEOUT = 30
OWNER_PASSWORD = "bench publishing owner horse"  # noqa: S105 - a throwaway account on a throwaway database
MEMBER_PASSWORD = "bench publishing member horse"  # noqa: S105
#: the community kind used: open membership, validation ``none`` (a submitted item is published at once),
#: public knowledge level by default, a public root space "Public" and a secured one "Members"
KIND = "interest"
SECTIONS = ("identity", "objectives", "topics", "rules", "access", "content", "roles", "modules")
#: a word in a fixed number of items whatever the community's size, and one in every tenth item
RARE_WORD, RARE_COUNT = "zanzibar", 10
COMMON_WORD, COMMON_EVERY = "harvest", 10
#: the bodies' other words (none of them the rare or the common one)
_WORDS = (
    "river meadow lantern orchard copper basket willow harbor thistle pebble compass saddle granite "
    "quarry ember falcon juniper marble nectar oyster parsley quiver raven saffron timber umber velvet "
    "walnut yarrow zephyr anchor beacon cider dune elm fennel garnet hazel iris jasper kelp lichen "
    "mango nutmeg olive pepper quince rosemary sorrel tulip violet wheat barley clover daisy fern "
    "ginger heather ivy jade kale lemon maple nettle oak pine rye sage tansy vine yew acorn bramble "
    "cedar dahlia endive fig gorse hemlock indigo jute kiwi larch mint nori onion poppy reed spruce "
    "thyme vetch wicker aster birch chive dill elder flax gourd hops"
)
VOCABULARY = tuple(_WORDS.split())


# -- through the gateway -----------------------------------------------------------------------------


def call(gateway: str, method: str, path: str, token: str | None = None, body=None, params=None, status=200):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, gateway + path, json=body, params=params, headers=headers, timeout=TIMEOUT)
    if response.status_code != status:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
    return response.json() if response.content else None


def until(attempt, what: str, seconds: float = 60):
    """Repeat ``attempt()`` until it answers something else than None (publishing learns of communities,
    spaces and members from the spaces service's events, a moment after they happen)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = attempt()
        if found is not None:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"waited {seconds}s for {what}")


def owner_token(gateway: str, database_url: str) -> str:
    """An admin (who may create communities) on the bench's database."""
    from services.identity.cli import create_admin

    email = f"bench-publishing-owner-{uuid.uuid4().hex[:8]}@example.org"
    create_admin(database_url, email, OWNER_PASSWORD)
    return call(gateway, "POST", "/v1/auth/token", body={"email": email, "password": OWNER_PASSWORD})["access_token"]


def new_member(gateway: str) -> tuple[str, str]:
    """A registered user: ``(user id, access token)``."""
    email = f"bench-publishing-{uuid.uuid4().hex[:8]}@example.org"
    created = call(
        gateway,
        "POST",
        "/v1/auth/register",
        body={"email": email, "password": MEMBER_PASSWORD, "display_name": "Bench reader"},
        status=201,
    )
    token = call(gateway, "POST", "/v1/auth/token", body={"email": email, "password": MEMBER_PASSWORD})
    return created["id"], token["access_token"]


def live_community(gateway: str, owner: str) -> tuple[str, dict[str, str]]:
    """A live community of ``KIND``: ``(id, {space name: space id})``."""
    body = {"name": f"Bench publishing {uuid.uuid4().hex[:8]}", "kind": KIND}
    community_id = call(gateway, "POST", "/v1/communities", owner, body, status=201)["id"]
    path = f"/v1/communities/{community_id}"
    call(gateway, "POST", path + "/transitions", owner, {"to": "review"})
    for section in SECTIONS:
        call(gateway, "POST", path + "/validations", owner, {"section": section})
    call(gateway, "POST", path + "/transitions", owner, {"to": "pilot"})
    call(gateway, "POST", path + "/transitions", owner, {"to": "live"})
    spaces = call(gateway, "GET", path + "/spaces", owner, params={"limit": 100})["items"]
    return community_id, {space["name"]: space["id"] for space in spaces}


def join(gateway: str, token: str, community_id: str, spaces: dict[str, str]) -> None:
    """The member joins the open community, then waits until publishing knows them as a member (the
    feed of the members-only space answers them)."""
    call(gateway, "POST", f"/v1/communities/{community_id}/join", token, {})

    def known():
        answer = requests.get(
            f"{gateway}/v1/spaces/{spaces['Members']}/feed",
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        return True if answer.status_code == 200 else None

    until(known, "publishing to know the member")


def publish(gateway: str, token: str, space_id: str, title: str, body: str) -> dict:
    body = {"type": "news", "title": title, "body": body}
    draft = call(gateway, "POST", f"/v1/spaces/{space_id}/contents", token, body, status=201)
    published = call(gateway, "POST", f"/v1/contents/{draft['id']}/submit", token)
    assert published["state"] == "published", published
    return published


# -- the publish load: create then submit, closed loop -------------------------------------------------


def _publisher(host, port, token, space_id, until_at, out: list, errors: list) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"type": "news", "title": "Bench news", "body": "A line of *news* from the bench."})
    while time.perf_counter() < until_at:
        start = time.perf_counter()
        try:
            conn.request("POST", f"/v1/spaces/{space_id}/contents", body=body, headers=headers)
            response = conn.getresponse()
            draft = response.read()
            if response.status != 201:
                errors.append(response.status)
                continue
            created = time.perf_counter()
            content_id = json.loads(draft)["id"]
            conn.request("POST", f"/v1/contents/{content_id}/submit", body="{}", headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
                continue
            out.append((created - start, time.perf_counter() - created))
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    conn.close()


def _publishers(url, token, space_id, clients, seconds, queue) -> None:
    parts = urlsplit(url)
    until_at = time.perf_counter() + seconds
    out: list = []
    errors: list = []
    threads = [
        threading.Thread(target=_publisher, args=(parts.hostname, parts.port, token, space_id, until_at, out, errors))
        for _ in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put((out, errors))


def publish_load(url: str, token: str, space_id: str, clients: int, seconds: float, processes: int = 2) -> dict:
    """``clients`` clients each publishing items back to back (create, then submit) for ``seconds``:
    items published per second, and p50/p99 of the pair and of each request."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers = [ctx.Process(target=_publishers, args=(url, token, space_id, n, seconds, queue)) for n in shares if n]
    for w in workers:
        w.start()
    pairs, errors = [], []
    for _ in workers:
        got, failed = queue.get()
        pairs += got
        errors += failed
    for w in workers:
        w.join()

    def pct(values: list[float], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else float("nan")

    both = [a + b for a, b in pairs]
    return {
        "clients": clients,
        "items": len(pairs),
        "errors": len(errors),
        "rps": len(pairs) / seconds,
        "requests_per_second": 2 * len(pairs) / seconds,
        "p50_ms": pct(both, 0.50),
        "p99_ms": pct(both, 0.99),
        "create_p50_ms": pct([a for a, _ in pairs], 0.50),
        "create_p99_ms": pct([a for a, _ in pairs], 0.99),
        "submit_p50_ms": pct([b for _, b in pairs], 0.50),
        "submit_p99_ms": pct([b for _, b in pairs], 0.99),
    }


# -- filling a community with SQL ------------------------------------------------------------------------


def fill(database_url: str, community_id: str, spaces: dict[str, str], author_id: str, count: int) -> float:
    """``count`` published news items in the community (half in its public space, half in its members'
    space), newest one a minute ago, one second apart, as create + submit would have left them.
    Returns the seconds it took (ANALYZE included)."""
    started = time.perf_counter()
    conn = psycopg2.connect(database_url, options="-c search_path=publishing")
    with conn, conn.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cur.execute(
            "CREATE TEMP TABLE bench_items ON COMMIT DROP AS"
            " SELECT n, gen_random_uuid() AS id, now() - make_interval(secs => 60 + n) AS at"
            " FROM generate_series(1, %s) AS n",
            (count,),
        )
        # the body: four words of the vocabulary, the common word in every tenth item, the rare one
        # in RARE_COUNT items spread over the whole range
        body = (
            "'Notes from the field: ' || v[1 + (n * 7) %% %(words)s] || ' ' || v[1 + (n * 13) %% %(words)s]"
            " || ' and ' || v[1 + (n * 31) %% %(words)s] || ' near the ' || v[1 + (n * 61) %% %(words)s]"
            " || CASE WHEN n %% %(common)s = 0 THEN ' after the " + COMMON_WORD + "' ELSE '' END"
            " || CASE WHEN n %% %(rare_every)s = 1 THEN ' in " + RARE_WORD + "' ELSE '' END || '.'"
        )
        # a GIN index is built much faster in one go than grown by a million inserts: for a big fill, drop
        # the search index and build it again as its migration defines it (pg_indexes has its definition)
        cur.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'publishing' AND indexname = 'contents_search'")
        (search_index,) = cur.fetchone()
        rebuild = count >= 100_000
        if rebuild:
            cur.execute("DROP INDEX contents_search")
        cur.execute(
            "INSERT INTO contents (id, community_id, space_id, type, parent_id, author_id, title, body, body_html,"
            " fields, knowledge_level, state, step, revision, publish_at, published_at, hidden, created_at,"
            " updated_at)"
            " SELECT id, %(community)s, CASE WHEN n %% 2 = 0 THEN %(public)s ELSE %(members)s END::uuid, 'news',"
            " NULL, %(author)s, 'Bench news: ' || v[1 + (n * 17) %% %(words)s] || ' ' || v[1 + n %% %(words)s],"
            " b.body, '<p>' || b.body || E'</p>\\n', '{}', 'public',"
            " 'published', NULL, 1, NULL, at, false, at - interval '5 seconds', at"
            f" FROM bench_items, (SELECT %(vocabulary)s::text[] AS v) w, LATERAL (SELECT {body} AS body) b",
            {
                "community": community_id,
                "public": spaces["Public"],
                "members": spaces["Members"],
                "author": author_id,
                "words": len(VOCABULARY),
                "common": COMMON_EVERY,
                "rare_every": count // RARE_COUNT,
                "vocabulary": list(VOCABULARY),
            },
        )
        cur.execute(
            "INSERT INTO content_revisions (content_id, number, title, body, fields, author_id, created_at)"
            " SELECT c.id, 1, c.title, c.body, '{}', c.author_id, c.created_at FROM bench_items i"
            " JOIN contents c ON c.id = i.id"
        )
        cur.execute(
            "INSERT INTO content_transitions (content_id, from_state, to_state, step, actor_id, reason, at)"
            " SELECT c.id, s.from_state, s.to_state, NULL, c.author_id, NULL,"
            " CASE WHEN s.to_state = 'draft' THEN c.created_at ELSE c.published_at END"
            " FROM bench_items i JOIN contents c ON c.id = i.id,"
            " (VALUES (NULL, 'draft', 1), ('draft', 'published', 2)) AS s (from_state, to_state, o)"
            " ORDER BY i.n DESC, s.o"
        )
        if rebuild:
            cur.execute(search_index)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE contents")
        cur.execute("VACUUM ANALYZE content_revisions")
        cur.execute("VACUUM ANALYZE content_transitions")
    conn.close()
    return time.perf_counter() - started


def deep_cursor(database_url: str, community_id: str, offset: int) -> str:
    """The cursor a reader holds ``offset`` items down the community's feed (as the gateway encodes it)."""
    from gateway.pagination import encode_cursor

    conn = psycopg2.connect(database_url, options="-c search_path=publishing")
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT published_at, id FROM contents WHERE community_id = %s AND state = 'published' AND NOT hidden"
            " ORDER BY published_at DESC, id DESC OFFSET %s LIMIT 1",
            (community_id, offset),
        )
        published_at, content_id = cur.fetchone()
    conn.close()
    return encode_cursor({"published_at": published_at.isoformat(), "id": str(content_id)})


# -- the figures -------------------------------------------------------------------------------------------

#: the sizes of the communities whose reads must cost the same
SIZES = (1_000, int(os.environ.get("BENCH_PUBLISHING_ITEMS", "1000000")))
#: paired rounds of the reads at each size, and of ping and feed (each ratio is the median of the rounds')
SCALE_ROUNDS = LIVE_ROUNDS = int(os.environ.get("BENCH_PUBLISHING_ROUNDS", "3"))
#: the reads measured at each size
READS = (
    "community feed, first page",
    "community feed, deep page",
    "space feed",
    "search, rare word",
    "search, common word",
)


def figures(gateway: str, database_url: str, http_load, seconds: float, clients: int = 32, scale_clients: int = 16):
    """Every publishing figure; ``http_load(url, clients, *extra)`` is the bench's (a subprocess)."""
    owner = owner_token(gateway, database_url)
    member_id, token = new_member(gateway)
    auth = ("--header", f"Authorization: Bearer {token}")
    warm = ("--seconds", str(min(3.0, seconds)))
    results: dict = {"clients": clients, "scale_clients": scale_clients}

    # a member of three live communities without validation, a few items in each: their personal feed
    print("bench: publishing: three live communities, a member, 30 items ...", flush=True)
    communities = [live_community(gateway, owner) for _ in range(3)]
    for community_id, spaces in communities:
        join(gateway, token, community_id, spaces)
        for number in range(10):
            space = spaces["Public" if number % 2 else "Members"]
            publish(gateway, token, space, f"Seed news {number}", f"Seed item {number} of the *bench*.")
    feed = call(gateway, "GET", "/v1/me/feed", token, params={"limit": 20})
    assert len(feed["items"]) == 20, feed
    space = communities[0][1]["Public"]
    live = {
        "ping_one": (f"{gateway}/v1/ping/publishing", ()),
        "ping_all": (f"{gateway}/v1/ping", ()),
        "my_feed": (f"{gateway}/v1/me/feed?limit=20", auth),
    }
    for url, extra in live.values():
        http_load(url, 8, *extra, *warm)
    # paired rounds, as for the scale part: ping and feed back to back, LIVE_ROUNDS times; the ratio is
    # the median of the rounds' (a 10-second rate on two shared cores swings by a tenth between runs)
    measured: dict[str, list[dict]] = {name: [] for name in live}
    for number in range(1, LIVE_ROUNDS + 1):
        for name, (url, extra) in live.items():
            print(f"bench: publishing: round {number}, GET {url.removeprefix(gateway)}, {clients} clients", flush=True)
            measured[name].append(http_load(url, clients, *extra))
    for name, runs in measured.items():  # the round of median rate stands for the request in the table
        results[name] = sorted(runs, key=lambda figures: figures["rps"])[len(runs) // 2]
    results["feed_ratios"] = [
        _over(feed["rps"], ping["rps"]) for ping, feed in zip(measured["ping_one"], measured["my_feed"], strict=True)
    ]
    print(f"bench: publishing: publish (create + submit), {clients} clients ...", flush=True)
    publishing_load(gateway, token, space, 8, min(3.0, seconds))  # warm up
    results["publish"] = publishing_load(gateway, token, space, clients, seconds)

    # one community of each size: the same reads, by the same member
    targets: dict = {}
    for size in SIZES:
        community_id, spaces = live_community(gateway, owner)
        join(gateway, token, community_id, spaces)
        print(f"bench: publishing: filling a community with {size} items ...", flush=True)
        results[("fill", size)] = fill(database_url, community_id, spaces, member_id, size)
        print(f"bench: publishing: {size} items written in {results[('fill', size)]:.1f}s", flush=True)
        deep = deep_cursor(database_url, community_id, size // 2)
        feed = f"{gateway}/v1/communities/{community_id}/feed?limit=20"
        search = f"{gateway}/v1/search?community_id={community_id}&limit=20&q="
        urls = dict(
            zip(
                READS,
                (
                    feed,
                    f"{feed}&cursor={deep}",
                    f"{gateway}/v1/spaces/{spaces['Public']}/feed?limit=20",
                    search + RARE_WORD,
                    search + COMMON_WORD,
                ),
                strict=True,
            )
        )
        hits = call(gateway, "GET", "/v1/search", token, params={"q": RARE_WORD, "community_id": community_id})
        assert len(hits["items"]) == RARE_COUNT, hits
        assert hits["next_cursor"] is None, hits
        for read, url in urls.items():
            page = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
            page.raise_for_status()
            assert len(page.json()["items"]) == (RARE_COUNT if read.endswith("rare word") else 20), (read, page.text)
            targets[(size, read)] = url
    # paired rounds: each read at each size in turn, ROUNDS times; a p99 over a few seconds on two shared
    # cores swings from run to run, so the ratio is the median of the rounds' ratios
    rounds: dict = {key: [] for key in targets}
    for number in range(1, SCALE_ROUNDS + 1):
        for read in READS:
            for size in SIZES:
                url = targets[(size, read)]
                if number == 1:
                    http_load(url, 8, *auth, *warm)
                print(f"bench: publishing: round {number}, {size} items, {read} ...", flush=True)
                rounds[(size, read)].append(http_load(url, scale_clients, *auth))
    small, big = SIZES[0], SIZES[-1]
    for read in READS:
        pairs = zip(rounds[(small, read)], rounds[(big, read)], strict=True)
        ratios = [_over(b["p99_ms"], a["p99_ms"]) for a, b in pairs]
        results[("ratio", read)] = statistics.median(ratios)
        for size in SIZES:  # the round of median p99 stands for the size in the table
            measured = sorted(rounds[(size, read)], key=lambda figures: figures["p99_ms"])
            results[(size, read)] = {**measured[len(measured) // 2], "errors": sum(m["errors"] for m in measured)}
    return results


def publishing_load(gateway: str, token: str, space_id: str, clients: int, seconds: float) -> dict:
    """``publish_load`` in a process of its own (the bench's process runs eventlet)."""
    import subprocess
    import sys
    from pathlib import Path

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.publishing",
            gateway,
            "--token",
            token,
            "--space",
            space_id,
            "--clients",
            str(clients),
            "--seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="publish items back to back: create, then submit")
    parser.add_argument("url", help="the gateway")
    parser.add_argument("--token", required=True)
    parser.add_argument("--space", required=True)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    print(json.dumps(publish_load(args.url, args.token, args.space, args.clients, args.seconds)))


if __name__ == "__main__":
    main()


# -- the report --------------------------------------------------------------------------------------------


def _over(a: float, b: float) -> float:
    """``a / b``, not a number when ``b`` is 0 (a measurement that got no answer must not lose the run)."""
    return a / b if b else float("nan")


def render(p: dict, seconds: float) -> list[str]:
    """The "Publishing" section of docs/performance.md."""
    pub = p["publish"]
    feed, one, five = p["my_feed"], p["ping_one"], p["ping_all"]
    lines = [
        "",
        "## Publishing: feeds, publishing an item, search",
        "",
        f"A member of three live communities without validation (`interest` kind: `none`; 10 items each to start "
        f"with), through the gateway, closed loop, {p['clients']} clients, {seconds:.0f}s each, one after the "
        "other in the same run:",
        "",
        "| request | requests/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
        f"| `GET /v1/ping/publishing` (gateway → one RPC to publishing) | {one['rps']:.0f} | {one['p50_ms']:.1f} | "
        f"{one['p99_ms']:.1f} | {one['errors']} |",
        f"| `GET /v1/ping` (gateway → five RPCs in parallel) | {five['rps']:.0f} | {five['p50_ms']:.1f} | "
        f"{five['p99_ms']:.1f} | {five['errors']} |",
        f"| `GET /v1/me/feed?limit=20` (the member's feed across their communities) | {feed['rps']:.0f} | "
        f"{feed['p50_ms']:.1f} | {feed['p99_ms']:.1f} | {feed['errors']} |",
        f"| publishing an item: `POST /v1/spaces/{{id}}/contents` then `POST /v1/contents/{{id}}/submit` "
        f"(items/s; latency of the two) | {pub['rps']:.0f} | {pub['p50_ms']:.1f} | {pub['p99_ms']:.1f} | "
        f"{pub['errors']} |",
        "",
        f"- **Feed over ping: {statistics.median(p['feed_ratios']):.2f}** against `GET /v1/ping/publishing` (one "
        f"RPC each; target ≥ 0.7): the median of {len(p['feed_ratios'])} paired rounds "
        f"({', '.join(f'{r:.2f}' for r in p['feed_ratios'])}); the table shows each request's round of median rate. "
        f"{_over(feed['rps'], five['rps']):.2f} against `GET /v1/ping` (five RPCs).",
        f"- Publishing makes two requests per item ({pub['requests_per_second']:.0f} requests/s, {pub['items']} "
        f"items published): the draft (create: p50 {pub['create_p50_ms']:.1f} ms, p99 {pub['create_p99_ms']:.1f} "
        f"ms) and its submission, published at once (p50 {pub['submit_p50_ms']:.1f} ms, p99 "
        f"{pub['submit_p99_ms']:.1f} ms). Publishing over ping, in requests: "
        f"{_over(pub['requests_per_second'], one['rps']):.2f}.",
        "",
        f"The same member reads communities of {SIZES[0]:,} and {SIZES[-1]:,} items (filled with SQL as create + "
        f"submit would have left them: items, first revisions, transitions; search columns by the migration's "
        f"trigger; then `VACUUM ANALYZE`), with their own visibility filter (a member, not an owner), "
        f"{p['scale_clients']} clients. The deep page is the one {SIZES[0] // 2:,} (resp. {SIZES[-1] // 2:,}) items "
        f"down; the rare word is in {RARE_COUNT} items at either size, the common word in one item out of "
        f"{COMMON_EVERY} ({SIZES[0] // COMMON_EVERY:,} resp. {SIZES[-1] // COMMON_EVERY:,} matches, of which "
        f'search ranks the newest {WINDOW:,}: docs/publishing.md, "Search").',
        "",
        f"Each read is measured at each size in turn, {SCALE_ROUNDS} times (paired rounds); the table shows, for "
        "each size, the round of median p99, and the ratio is the median of the rounds' ratios.",
        "",
        "| read | " + " | ".join(f"{size:,} items: req/s · p50 · p99 ms" for size in SIZES) + " | p99 ratio |",
        "|---|" + "---:|" * (len(SIZES) + 1),
    ]
    small, big = SIZES[0], SIZES[-1]
    for read in READS:
        cells = [
            f"{p[(size, read)]['rps']:.0f} · {p[(size, read)]['p50_ms']:.1f} · {p[(size, read)]['p99_ms']:.1f}"
            for size in SIZES
        ]
        ratio = p[("ratio", read)]
        errors = sum(p[(size, read)]["errors"] for size in SIZES)
        lines.append(
            f"| {read}{f' ({errors} errors)' if errors else ''} | " + " | ".join(cells) + f" | **{ratio:.2f}** |"
        )
    held = [read for read in READS if read != "search, common word"]
    worst = max(p[("ratio", read)] for read in held)
    common = p[("ratio", "search, common word")]
    lines += [
        "",
        f"- p99 with {big:,} items over p99 with {small:,}, worst of the feeds and the rare-word search: "
        f"**{worst:.2f}** (target ≤ 1.2).",
        f"- The common word: **{common:.2f}** (target ≤ 1.2). Search ranks the newest {WINDOW:,} matches: with "
        f"{big:,} items that window is full and about {WINDOW * COMMON_EVERY:,} items are walked to fill it; with "
        f"{small:,} items the GIN index gives the community's {small // COMMON_EVERY:,} matches. The rare word, "
        "which the planner cannot count (not among the column's most common lexemes), takes the GIN index's "
        "matches at either size.",
        f"- Filling {big:,} items took {p[('fill', big)]:.0f}s; the whole publishing part of the bench "
        f"{p['seconds'] / 60:.1f} min.",
    ]
    return lines
