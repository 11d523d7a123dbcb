"""The PostgreSQL store: the store itself (connection, errors, schema, reads), its bulk
COPY writes, its locked row reads, bulk corrections and the leaderboard ranked by the
server. Imported only when a PostgreSQL URL is configured."""

from ladder_cli.stores.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
