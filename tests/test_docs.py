"""The documentation keeps up with the code: every setting, check, error code, endpoint, signal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.dispatch import Signal

import django_lc_phone
from django_lc_phone import checks, conf, signals
from django_lc_phone.api.errors import ERROR_TABLE
from django_lc_phone.api.urls import urlpatterns

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[:6] == [
        "# django-lc-phone",
        "",
        "```sh",
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[example]" && '
        "python manage.py migrate && python manage.py runserver",
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && pytest',
        "```",
    ]


def test_readme_links_every_doc() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in sorted(DOCS.glob("*.md")):
        assert f"(docs/{page.name})" in readme


def test_the_readme_layout_names_every_module_and_package() -> None:
    """The layout block shows the package as it is: every top-level module and package is
    named in it (a new one, or a renamed one, fails this until the README follows)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("```")[1]
    package = Path(django_lc_phone.__file__).resolve().parent  # the wheel's, in the wheel job
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    named = set(re.findall(r"[a-z_]+", layout))
    assert names - {"__main__"} <= named, sorted(names - named)


@pytest.mark.parametrize("key", sorted(conf.DEFAULTS))
def test_every_setting_is_documented_with_its_default(key: str) -> None:
    default = conf.DEFAULTS[key]
    shown = f'"{default}"' if isinstance(default, str) else repr(default)
    assert f"| `{key}` | `{shown}` |" in _read("settings.md")


def test_every_check_id_is_documented() -> None:
    ids = [name for name in vars(checks.Messages) if re.fullmatch(r"[EW][0-9]{3}", name)]
    assert ids
    for check_id in ids:
        assert f"| `lc_phone.{check_id}` |" in _read("settings.md")


@pytest.mark.parametrize(("status", "code"), sorted({(row[1], row[2]) for row in ERROR_TABLE}))
def test_every_error_code_is_documented(status: int, code: str) -> None:
    assert f"| {status} | `{code}` |" in _read("errors.md")
    assert re.search(rf"`{status} {code}`", _read("api.md")) or code == "error"


@pytest.mark.parametrize("route", sorted(str(p.pattern) for p in urlpatterns))
def test_every_endpoint_is_documented(route: str) -> None:
    api = _read("api.md")
    assert f"| [`{route}`](#" in api
    assert f"### `{route}`" in api


def test_every_signal_is_documented() -> None:
    names = [name for name, value in vars(signals).items() if isinstance(value, Signal)]
    assert len(names) == 9
    for name in names:
        assert f"| `{name}` |" in _read("signals.md")


# --- the documentation site ------------------------------------------------------------------


def test_the_endpoint_reference_is_generated_from_the_current_schema() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "endpoint_reference.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reference = _read("endpoints.md")
    for pattern in urlpatterns:
        assert f"/auth/phone/{pattern.pattern}`" in reference


def test_every_page_is_in_the_mkdocs_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in sorted(DOCS.glob("*.md")):
        assert f": {page.name}" in nav, page.name


def test_the_docs_build_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken link, anchor or nav entry fails the build."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "endpoints" / "index.html").exists()
    assert (tmp_path / "img" / "admin-phone-profiles.png").exists()


def test_every_threat_id_of_the_security_tests_has_a_row_and_every_row_a_test() -> None:
    tests = ROOT / "tests" / "security"
    used = {
        t for p in tests.glob("*.py") for t in re.findall(r"\bT[0-9]{2}\b", p.read_text("utf-8"))
    }
    rows = set(re.findall(r"^\| (T[0-9]{2}) \|", _read("security.md"), re.MULTILINE))
    assert not used - rows, f"no row in docs/security.md: {sorted(used - rows)}"
    assert not rows - used, f"no test in tests/security: {sorted(rows - used)}"
