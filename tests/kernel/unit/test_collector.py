"""kernel.runner.tune_collector: what a service built at start is frozen out of the cyclic collector's
passes, and the young generation is collected less often; reference counting still frees at once."""

import gc
import weakref

from kernel.runner import GC_YOUNG_THRESHOLD, tune_collector


class Node:
    def __init__(self):
        self.other = None


def test_start_up_objects_are_frozen_and_young_collections_are_rarer():
    threshold = gc.get_threshold()
    try:
        built_at_start = Node()
        tune_collector()
        assert gc.get_freeze_count() > 0  # built_at_start among them: no later pass walks it
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *threshold[1:])
        plain = Node()
        gone = weakref.ref(plain)
        del plain
        assert gone() is None  # freed by reference counting, no collection needed
        first, second = Node(), Node()
        first.other, second.other = second, first
        cycle = weakref.ref(first)
        del first, second
        assert gc.collect() >= 2  # a cycle waits for a collection, and is collected
        assert cycle() is None
        assert built_at_start.other is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
