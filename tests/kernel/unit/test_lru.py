"""kernel.lru.LRU: the entries used last are kept, at most ``size`` of them."""

from kernel.lru import LRU


def test_the_least_recently_used_entry_goes_first():
    kept: LRU[str, int] = LRU(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "a" used last: "b" goes next
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c"), len(kept)) == (1, None, 3, 2)
    kept.discard("a")
    kept.discard("nothing")
    assert (kept.get("a"), list(kept)) == (None, ["c"])
