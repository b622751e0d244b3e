"""Django's PostgreSQL backend with a health check that costs no query (ENGINE
"shop.database.postgresql", set by shop.settings.service_database)."""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """Whether the idle connection still stands, read off its socket instead of asked with
        `SELECT 1`.

        Web processes check a reused connection before each request (CONN_HEALTH_CHECKS), and
        Django's check was a round trip to PostgreSQL per request: a query of its own in every
        placement and every catalog read. A server that ends a session (a restart, a
        terminated backend, an idle timeout) says so on the socket and closes it, so an idle
        connection with anything to read is one to replace; a healthy idle connection has
        nothing to read (the web processes LISTEN to nothing). A connection cut without a word
        (a dead network) passes here, and its first query fails, as it would have after
        `SELECT 1` answered.
        """
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            readable, _, _ = select.select([connection], [], [], 0)
        except (OSError, ValueError):  # the socket is gone already
            return False
        return not readable
