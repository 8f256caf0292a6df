"""The version matrix, the wheel check and the linters, as nox sessions (docs/development.md).

``nox`` runs every session: the whole matrix, the wheel job and the linters. ``nox -l`` lists
them; ``nox -t matrix`` runs the matrix only; ``nox -s wheel`` or ``nox -s lint`` one job.
Arguments after ``--`` go to pytest:
``nox -s "tests(python='3.13', django='6.1', db='sqlite')" -- -x``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent

# The matrix: each Django release with the Python versions it supports. The classifiers in
# pyproject.toml list exactly these (tests/test_packaging.py checks that they agree).
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
DJANGO_PYTHONS = {
    "5.2": ["3.10", "3.11", "3.12", "3.13"],
    "6.0": ["3.12", "3.13"],
    "6.1": ["3.12", "3.13"],
}
DATABASES = {
    # LC_PHONE_TEST_SERVICES for tests/settings.py: SQLite + locmem, or PostgreSQL + Redis.
    "sqlite": "off",
    "postgres": "on",
}
# What the wheel job leaves out of its copy of the checkout: the package itself (it must come from
# the wheel), hidden directories (.git, .venv, .nox, caches) and build output.
NOT_COPIED = {"django_lc_phone", "build", "dist", "site", "test-artifacts"}

nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True


def _pyenv_versions() -> None:
    """Let pyenv's shims answer ``python3.10`` .. ``python3.13`` when none is selected.

    Without ``PYENV_VERSION`` a shim only runs pyenv's global version, so nox would find
    ``python3.10`` on PATH and then fail to run it. The global version stays first.
    """
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    if "PYENV_VERSION" in os.environ or not (pyenv / "versions").is_dir():
        return
    global_file = pyenv / "version"
    chosen = global_file.read_text().split() if global_file.exists() else []
    for minor in PYTHONS:
        patches = [
            int(p.name[len(minor) + 1 :])
            for p in (pyenv / "versions").iterdir()
            if p.name.startswith(f"{minor}.") and p.name[len(minor) + 1 :].isdigit()
        ]
        if patches:
            chosen.append(f"{minor}.{max(patches)}")
    if chosen:
        os.environ["PYENV_VERSION"] = ":".join(chosen)


_pyenv_versions()


def _django(version: str) -> str:
    major, minor = version.split(".")
    return f"django>={version},<{major}.{int(minor) + 1}"


@nox.session(tags=["matrix"])
@nox.parametrize("db", list(DATABASES))
@nox.parametrize(
    ("python", "django"),
    [(python, django) for django, pythons in DJANGO_PYTHONS.items() for python in pythons],
)
def tests(session: nox.Session, django: str, db: str) -> None:
    """The suite from the source tree on one Python, one Django and one database."""
    session.install("-e", ".[test]", _django(django))
    session.run("python", "-m", "django", "--version")
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"LC_PHONE_TEST_SERVICES": DATABASES[db]},
    )


@nox.session(python=None)
def wheel(session: nox.Session) -> None:
    """Build the sdist and wheel, check them, and run the suite against the installed wheel.

    The suite runs from a copy outside the checkout, so ``django_lc_phone`` can only come
    from the wheel (tests/test_packaging.py checks where it was imported from, and what the
    wheel and the sdist hold). SQLite and locmem, to keep CI's time bounded.
    """
    session.install("build>=1.2", "twine>=6.1")
    work = Path(tempfile.mkdtemp(prefix="lc-phone-wheel-"))
    dist = work / "dist"
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT))
    session.run("twine", "check", "--strict", *(str(p) for p in sorted(dist.iterdir())))
    (wheel_file,) = dist.glob("*.whl")
    (sdist_file,) = dist.glob("*.tar.gz")

    # Only the wheel: its declared test dependencies, then the wheel itself over whatever an
    # earlier run left in this (reused) environment.
    session.run("python", "-m", "pip", "uninstall", "--yes", "--quiet", "django-lc-phone")
    session.install(f"{wheel_file}[test]")
    session.install("--force-reinstall", "--no-deps", str(wheel_file))

    suite = work / "suite"
    suite.mkdir()
    for source in ROOT.iterdir():
        name = source.name
        if name.startswith(".") or name in NOT_COPIED or name.endswith(".egg-info"):
            continue
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "node_modules", "*.sqlite3*")
            shutil.copytree(source, suite / name, ignore=ignore)
        else:
            shutil.copy2(source, suite / name)
    # The official SDKs' caches (their virtual environments, npm's cache), not this app's: the
    # JavaScript SDK test installs its node_modules from there (npm ci) into the copy.
    (ROOT / ".sdk-venvs").mkdir(exist_ok=True)
    (suite / ".sdk-venvs").symlink_to(ROOT / ".sdk-venvs", target_is_directory=True)

    session.chdir(suite)
    try:
        session.run(
            "pytest",
            "-p",
            "no:cacheprovider",
            *session.posargs,
            env={
                "LC_PHONE_TEST_SERVICES": "off",
                "LC_PHONE_WHEEL": str(wheel_file),
                "LC_PHONE_SDIST": str(sdist_file),
                "LC_PHONE_SOURCE_TREE": str(ROOT),
            },
        )
    finally:
        session.chdir(ROOT)
        shutil.rmtree(work, ignore_errors=True)


@nox.session(python=None)
def lint(session: nox.Session) -> None:
    """ruff (lint and format), mypy in strict mode, and the import contracts."""
    session.install("-e", ".[test]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("lint-imports")
