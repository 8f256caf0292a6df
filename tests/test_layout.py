"""The package keeps its shape: few top-level modules, small modules, a docstring on each."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "django_lc_phone"
# Beyond this a module holds more than one job (architecture: "modules under about 300 lines").
MAX_LINES = 350
MAX_TOP_LEVEL_MODULES = 20
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_the_package_has_few_top_level_modules() -> None:
    """Everything else lives in a package of its kind (services/, guards/, leancloud/...)."""
    top = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, sorted(top)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_is_small_and_says_what_it_is_for(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_LINES
    assert ast.get_docstring(ast.parse(source)), "a module docstring says its job"
