"""Figure 5: ``lc_import_users`` on a synthetic export, into SQLite and into PostgreSQL.

Every user has a phone, a username and a LeanCloud password hash. One (salt, hash) pair is
shared by all: the importer stores the hash without checking it, so this measures the import,
not the making of the test file. Each repetition imports into a fresh, migrated database;
the time is the command's own (Django's start-up excluded).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django_lc_phone.leancloud.password import hash_password, make_salt

from ..context import Context
from ..stats import Spread, spread
from ..upstream import PASSWORD


@dataclass(frozen=True)
class ImportRate:
    """Users per second for each database."""

    users: int
    sqlite: Spread
    postgresql: Spread

    def to_json(self) -> dict[str, Any]:
        """Raw numbers for results.json."""
        return {
            "users": self.users,
            "sqlite": self.sqlite.to_json(),
            "postgresql": self.postgresql.to_json(),
        }


def write_export(path: Path, count: int) -> None:
    """A JSON-lines ``_User`` export of ``count`` users."""
    salt = make_salt()
    hashed = hash_password(PASSWORD, salt)
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            record = {
                "objectId": f"{i:024x}",
                "username": f"import{i}",
                "mobilePhoneNumber": f"+86135{i:08d}",
                "mobilePhoneVerified": True,
                "password": hashed,
                "salt": salt,
                "createdAt": "2024-01-02T03:04:05.678Z",
                "updatedAt": "2024-01-02T03:04:05.678Z",
            }
            out.write(json.dumps(record) + "\n")


def measure(ctx: Context, empty_template: str) -> ImportRate:
    """Import rates; ``empty_template`` is this run's migrated, empty PostgreSQL database."""
    count = ctx.plan.import_users
    export = ctx.work_dir / "users.jsonl"
    write_export(export, count)
    migrated = ctx.work_dir / "import-migrated.sqlite3"
    ctx.manage(ctx.site_env(None, sqlite_path=migrated), "migrate", "--noinput", "-v", "0")
    rates: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    for rep in range(ctx.plan.import_reps):
        target = ctx.work_dir / f"import-{rep}.sqlite3"
        shutil.copyfile(migrated, target)
        env = ctx.site_env(None, sqlite_path=target)
        seconds = ctx.djtask(env, "import", str(export))["seconds"]
        rates["sqlite"].append(count / seconds)
        target.unlink()
        database = ctx.dbs.create(f"import{rep}", template=empty_template)
        seconds = ctx.djtask(ctx.site_env(database), "import", str(export))["seconds"]
        rates["postgresql"].append(count / seconds)
    export.unlink()
    return ImportRate(count, spread(rates["sqlite"]), spread(rates["postgresql"]))
