"""The emulator's state in SQLite (standard-library sqlite3): in memory, or in a file to persist.

One connection guarded by one lock: every request runs as a single transaction, so concurrent
requests see LeanCloud-like atomicity (two sends cannot both slip under a limit).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    cls TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    username TEXT,
    email TEXT,
    phone TEXT,
    session_token TEXT,
    PRIMARY KEY (cls, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS user_username ON objects (username) WHERE cls = '_User';
CREATE UNIQUE INDEX IF NOT EXISTS user_email ON objects (email) WHERE cls = '_User';
CREATE UNIQUE INDEX IF NOT EXISTS user_phone ON objects (phone) WHERE cls = '_User';
CREATE UNIQUE INDEX IF NOT EXISTS user_session ON objects (session_token) WHERE cls = '_User';
CREATE TABLE IF NOT EXISTS codes (
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code TEXT NOT NULL,
    expires REAL NOT NULL,
    user_id TEXT,
    reusable INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (phone, purpose)
);
CREATE TABLE IF NOT EXISTS sends (phone TEXT NOT NULL, channel TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sends_phone ON sends (phone, at);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    phone TEXT NOT NULL,
    code TEXT,
    sms_type TEXT NOT NULL,
    template TEXT,
    purpose TEXT NOT NULL,
    text TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS captchas (token TEXT PRIMARY KEY, code TEXT NOT NULL, expires REAL);
CREATE TABLE IF NOT EXISTS validate_tokens (token TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures (user_id TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS login_locks (user_id TEXT PRIMARY KEY, until REAL NOT NULL);
"""

_TABLES = (
    "objects",
    "codes",
    "sends",
    "outbox",
    "captchas",
    "validate_tokens",
    "login_failures",
    "login_locks",
)


class Store:
    """A SQLite database (``":memory:"`` by default) behind a re-entrant lock."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block atomically: committed on success, rolled back on any exception."""
        with self._lock:
            if self._conn.in_transaction:  # nested use joins the outer transaction
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def reset(self) -> None:
        """Delete every row of every table."""
        with self.transaction() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()


def dumps(value: Any) -> str:
    """Compact JSON for storage."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
