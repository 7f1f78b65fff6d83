"""The PostgreSQL store (asyncpg): the same interfaces as SQLite, for several processes."""

from eligibility_gw.adapters.postgres.store import PostgresStore, open_postgres_store

__all__ = ["PostgresStore", "open_postgres_store"]
