"""What every PostgreSQL adapter shares: the errors that mean the server cannot answer."""

from __future__ import annotations

import asyncpg

from eligibility_gw.adapters.errors import unavailable_on

#: A failed server, a cut connection, a pool closed under the caller, a query past its time,
#: a connection left mid-operation by one of those (``InternalClientError``: the pool drops
#: it when it comes back).
POSTGRES_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
    TimeoutError,
)
#: Decorate an adapter's method: the server's failures become ``StoreUnavailable``; a
#: constraint violation is a statement about the data, left to the adapter that expects it.
unavailable = unavailable_on(POSTGRES_ERRORS, keep=(asyncpg.IntegrityConstraintViolationError,))
