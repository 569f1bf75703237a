"""Worker threads for chDB calls, so that a query never blocks the event loop (nor `/ping`).

A plain ThreadPoolExecutor rather than anyio's `to_thread`: one SELECT 1 through the endpoint
is a few hundred microseconds of Python, and anyio's per-call capacity limiter and context
lookups were a good part of it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import anyio


class Workers:
    def __init__(self, threads: int):
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="feedstar-query")

    async def run(self, func, *args):
        """`func(*args)` in a worker thread (not cancellable: chDB calls cannot be interrupted)."""
        return await asyncio.wrap_future(self._pool.submit(func, *args))

    async def run_to_completion(self, func, *args):
        """Like `run`, but a cancellation (client gone) waits for `func` to finish before it is raised,
        so that whatever `func` was using is never touched from two threads at once."""
        with anyio.CancelScope(shield=True):
            result = await asyncio.wrap_future(self._pool.submit(func, *args))
        await anyio.lowlevel.checkpoint_if_cancelled()
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
