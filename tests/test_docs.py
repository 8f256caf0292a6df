"""The documentation keeps up with the code: every setting, check, error code, endpoint, signal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import get_commands
from django.dispatch import Signal
from django.urls import resolve

import django_lc_phone
from django_lc_phone import checks, conf, signals
from django_lc_phone.api.errors import ERROR_TABLE
from django_lc_phone.api.urls import urlpatterns
from tests.app._api import lc_phone_settings

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
    assert len(names) == 11
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


# --- the migration guide: commands, compat paths, the proxy split -----------------------------

# Named by the guide and being built on other branches now; drop a name once it lands (the
# test then checks it like the others).
IN_FLIGHT_COMMANDS = {"lc_cutover_check", "lc_cutover"}
DNS_SECTION = "## Moving the API domain: the DNS cutover"


def _guide_section(title: str) -> str:
    guide = _read("migrating-off-leancloud.md")
    assert guide.count(title) == 1
    return guide.split(title, 1)[1].split("\n## ", 1)[0]


def _compat_urls() -> list[Any]:
    """compat's routes, less any catch-all (a pattern of any path is nothing to proxy)."""
    with lc_phone_settings(PROVIDER="local"):
        from django_lc_phone.compat import urls

    routes = [p for p in urls.urlpatterns if p.name != "notServed"]
    assert len(routes) >= 23
    return routes


def _sample(pattern: str) -> str:
    """A path a compat route answers: its groups filled in, LeanCloud's form (no slash)."""
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "x1", pattern.removeprefix("^").removesuffix("/?$"))
    return "/" + path.replace("\\.", ".")


def test_every_command_the_migration_guide_names_exists() -> None:
    named = set(re.findall(r"manage\.py\s+([a-z_]+)", _read("migrating-off-leancloud.md")))
    assert {"lc_import_users", "lc_cutover_check", "lc_cutover"} <= named
    missing = named - set(get_commands()) - IN_FLIGHT_COMMANDS
    assert not missing, sorted(missing)


def test_every_path_the_dns_guide_says_compat_serves_is_routed() -> None:
    """Each table row answered by ``compat:`` names a path compat's URLconf resolves, to a
    view of that method; placeholders (``<appId>``) are filled in."""
    rows = re.findall(r"^\| `(GET|POST|PUT) (/1\.1/[^`]+)` \| [^|]+\| compat: ", _section(), re.M)
    assert {path for _, path in rows} >= {
        "/1.1/date",
        "/1.1/stats/collect",
        "/1.1/statistics/apps/<appId>/sendPolicy",
    }
    _compat_urls()
    for method, path in rows:
        match = resolve(re.sub(r"<\w+>", "x1", path), urlconf="django_lc_phone.compat.urls")
        assert match.url_name, path
        # The view's docstring opens with the method and path it answers (views/startup.py).
        assert (match.func.__doc__ or "").startswith(f"``{method} /1.1/"), path


def test_the_proxy_split_sends_compat_paths_to_django_and_only_those() -> None:
    """The nginx ``location`` regex of the guide matches every compat route (with and without
    its trailing slash) and none of the data, file or cloud function paths."""
    block = _section().split("```nginx", 1)[1].split("```", 1)[0]
    [regex] = re.findall(r"location ~ (\S+) \{", block)
    for pattern in _compat_urls():
        sample = _sample(str(pattern.pattern))
        assert re.fullmatch(regex, sample), sample
        assert re.fullmatch(regex, sample + "/"), sample
    others = ["/1.1/classes/Post", "/1.1/classes/Post/1", "/1.1/files/a.png", "/1.1/batch"]
    others += ["/1.1/functions/hello", "/1.1/call/hello", "/1.1/installations", "/v1/route"]
    for path in others:
        assert not re.fullmatch(regex, path), path


def test_the_proxy_log_blanks_every_code_compat_takes_in_its_path() -> None:
    """Every compat route with a ``code`` in its path is redacted by the guide's log ``map``
    (nginx's ``(?<name>`` is Python's ``(?P<name>``), and other paths lose their query."""
    block = _section().split("```nginx", 1)[1].split("```", 1)[0]
    redact, keep = re.findall(r"^\s+~(\S+)\s", block.split("map $request_uri", 1)[1], re.M)[:2]
    redact, keep = (r.replace("(?<", "(?P<") for r in (redact, keep))
    coded = [str(p.pattern) for p in _compat_urls() if "(?P<code>" in str(p.pattern)]
    assert len(coded) == 3
    for pattern in coded:
        sample = _sample(pattern).replace("x1", "123456")
        match = re.match(redact, sample)
        assert match, sample
        assert "123456" not in match.group("lc_keep")
    token = "/1.1/users/me?session_token=abc"
    assert not re.match(redact, token)
    assert re.match(keep, token).group("lc_path") == "/1.1/users/me"  # type: ignore[union-attr]


def _section() -> str:
    return _guide_section(DNS_SECTION)
