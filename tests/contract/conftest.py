"""The store backends every contract suite runs on: SQLite, PostgreSQL (skipped with the
reason where no server answers; CI runs one) and memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.stores import (
    Backend,
    memory_backend,
    postgres_backend,
    postgres_reachable,
    sqlite_backend,
)


@pytest.fixture(params=["sqlite", "postgres", "memory"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        async with sqlite_backend(tmp_path) as b:
            yield b
    elif request.param == "memory":
        async with memory_backend() as b:
            yield b
    else:
        if not postgres_reachable():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
        async with postgres_backend() as b:
            yield b
