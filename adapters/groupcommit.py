"""Group commit: callers queue items and wait; one writer commits them in batches.

Under load many answers share one transaction (one fsync, one chain-head lock), yet each
caller gets its result only once its batch is committed. A caller that gives up still has
its item written: the wait is shielded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommitter(Generic[T, R]):
    """Batch ``write`` calls; ``write`` gets the items in order and returns one result each."""

    def __init__(
        self, write: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 500
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        """Items waiting for the next batch."""
        return len(self._pending)

    async def submit(self, item: T) -> R:
        """Queue ``item`` and wait until its batch is committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until everything queued is committed."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                results = await self._write([item for item, _ in batch])
            except Exception as exc:  # every waiter of the batch learns the write failed
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (_, fut), result in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(result)
