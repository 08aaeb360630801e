"""Entrypoints that commit before they answer.

nameko replies to an RPC call (and acknowledges a message) *before* dependency providers see the
worker's result, so a provider that committed in ``worker_result`` would let the caller see success
for a change that might still fail to commit. These subclasses settle the worker's database
transaction first; if the commit fails the caller receives that error instead.

``rpc`` also declares the kernel's ``ServiceError`` family as expected (logged as warnings, not
errors) — they travel to the caller as the same exception class.
"""

from __future__ import annotations

from nameko.rpc import Rpc
from nameko.timer import Timer

from kernel.db import settle_transactions
from kernel.errors import EXPECTED


class TransactionalRpc(Rpc):
    def __init__(self, **kwargs):
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__(**kwargs)

    def handle_result(self, message, worker_ctx, result, exc_info):
        exc_info = settle_transactions(worker_ctx, exc_info)
        return super().handle_result(message, worker_ctx, result, exc_info)


class TransactionalTimer(Timer):
    def handle_result(self, worker_ctx, result, exc_info):
        exc_info = settle_transactions(worker_ctx, exc_info)
        return super().handle_result(worker_ctx, result, exc_info)


rpc = TransactionalRpc.decorator
timer = TransactionalTimer.decorator
