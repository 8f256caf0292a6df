"""The benchmark's PostgreSQL databases: created, copied, filled fast with SQL, dropped.

Profiles are generated inside PostgreSQL (``generate_series``), not through the ORM: a
million rows take seconds this way. The table names come from the models' metadata.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
USER_TABLE = "auth_user"
PROFILE_TABLE = "lc_phone_phoneprofile"  # PhoneProfile._meta.db_table (app label lc_phone)


def connect(dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection (CREATE/DROP DATABASE cannot run in a transaction)."""
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True)


def server_version() -> str:
    """``SHOW server_version``."""
    with connect() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


@dataclass
class Databases:
    """Databases created by this run, all dropped by :meth:`close`."""

    prefix: str
    created: list[str] = field(default_factory=list)

    def name(self, suffix: str) -> str:
        """The full name of this run's database ``suffix``."""
        return f"{self.prefix}_{suffix}"

    def create(self, suffix: str, template: str | None = None) -> str:
        """A new empty database, or a copy of this run's ``template``."""
        name = self.name(suffix)
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(self.name(template))
            )
        with connect() as conn:
            conn.execute(query)
        self.created.append(name)
        return name

    def close(self) -> None:
        """Drop every database this run created."""
        with connect() as conn:
            while self.created:
                name = self.created.pop()
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@contextmanager
def _cursor(dbname: str) -> Iterator[psycopg.Cursor[tuple[object, ...]]]:
    with connect(dbname) as conn, conn.cursor() as cur:
        yield cur


def add_profiles(dbname: str, first: int, count: int, password_hash: str, prefix: str) -> None:
    """``count`` users with phone profiles, numbered from ``first``: phone ``prefix`` + number,
    a unique objectId and session token, all with one password hash (hashing a million
    passwords would measure the hasher, not the lookup)."""
    width = 14 - len(prefix)
    with _cursor(dbname) as cur:
        cur.execute(
            sql.SQL(
                "INSERT INTO {users} (password, is_superuser, username, first_name, last_name,"
                " email, is_staff, is_active, date_joined)"
                " SELECT %(pw)s, false, %(prefix)s || lpad(i::text, %(width)s::int, '0'),"
                " '', '', '', false, true, now()"
                " FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i"
            ).format(users=sql.Identifier(USER_TABLE)),
            {
                "pw": password_hash,
                "prefix": prefix,
                "width": width,
                "first": first,
                "last": first + count - 1,
            },
        )
        cur.execute(
            sql.SQL(
                "INSERT INTO {profiles} (user_id, phone, phone_verified, phone_verified_at,"
                " lc_object_id, lc_session_token, captured_password, created_at, updated_at)"
                " SELECT u.id, u.username, true, now(), substr(md5('bench' || u.username), 1, 24),"
                " md5(u.username), '', now(), now()"
                " FROM {users} AS u WHERE u.username LIKE %(like)s"
                " AND NOT EXISTS (SELECT 1 FROM {profiles} AS p WHERE p.user_id = u.id)"
            ).format(profiles=sql.Identifier(PROFILE_TABLE), users=sql.Identifier(USER_TABLE)),
            {"like": prefix + "%"},
        )
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(USER_TABLE)))
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(PROFILE_TABLE)))


def count_profiles(dbname: str) -> int:
    """Rows in the profiles' table."""
    with _cursor(dbname) as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(PROFILE_TABLE)))
        row = cur.fetchone()
    return int(str(row[0])) if row else 0
