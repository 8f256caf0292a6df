"""The importer's checkpoint file: how far a run got, so that an interrupted one can resume."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .records import ImportSourceError


def load_checkpoint(path: Path, source_key: str) -> dict[str, Any]:
    """The state saved by :func:`save_checkpoint` for ``source_key`` ({} when there is none)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}  # nothing to resume: start from the beginning
    except (OSError, ValueError) as exc:
        raise ImportSourceError(f"unreadable checkpoint {path}: {exc}") from exc
    if not isinstance(state, dict) or state.get("source") != source_key:
        raise ImportSourceError(f"checkpoint {path} belongs to another source; delete it")
    return state


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Replace the checkpoint at ``path`` with ``state``."""
    # Written aside and renamed: a crash mid-write must not leave a half checkpoint.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(state), encoding="utf-8")
    os.replace(partial, path)
