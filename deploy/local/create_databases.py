"""Create each service's PostgreSQL database when it is missing (local development and CI).

Reads the same variables as the services (`<SERVICE>_DATABASE_URL`, then `DATABASE_URL`, then the
local default) and skips SQLite URLs, which need no server.
"""

import sys

import environ
import psycopg2
from psycopg2 import sql

from shop import SERVICES


def main() -> int:
    env = environ.Env()
    for service in SERVICES:
        url = env.str(f"{service.upper()}_DATABASE_URL", default="") or env.str(
            "DATABASE_URL", default=f"postgres://postgres@127.0.0.1:5432/shop_{service}"
        )
        config = env.db_url_config(url)
        if "postgresql" not in config["ENGINE"]:
            continue
        try:
            connection = psycopg2.connect(
                dbname="postgres",
                user=config.get("USER") or None,
                password=config.get("PASSWORD") or None,
                host=config.get("HOST") or None,
                port=config.get("PORT") or None,
                connect_timeout=5,
            )
        except psycopg2.OperationalError as error:
            print(f"cannot reach PostgreSQL for {service}: {error}".strip(), file=sys.stderr)
            return 1
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
                print(f"created database {config['NAME']}")
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
