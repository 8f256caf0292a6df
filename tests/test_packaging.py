"""The package as it ships: one version, classifiers that match the matrix, and (in ``nox -s
wheel``) an installed wheel that holds every data file and nothing of the repository's own."""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import django_lc_phone

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(django_lc_phone.__file__).resolve().parent
# Set by the wheel session of noxfile.py, which runs this suite against the installed wheel.
WHEEL = os.environ.get("LC_PHONE_WHEEL")
SDIST = os.environ.get("LC_PHONE_SDIST")
SOURCE_TREE = os.environ.get("LC_PHONE_SOURCE_TREE")

wheel_only = pytest.mark.skipif(WHEEL is None, reason="runs in `nox -s wheel` only")


def _pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    path = ROOT / "pyproject.toml"
    if not path.exists():
        pytest.skip("no pyproject.toml next to the tests")
    with path.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    return data


def _noxfile_constant(name: str) -> Any:
    path = ROOT / "noxfile.py"
    if not path.exists():
        pytest.skip("no noxfile.py next to the tests")
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"noxfile.py has no {name}")


def test_the_version_lives_in_the_package_only() -> None:
    project = _pyproject()["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    attr = _pyproject()["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "django_lc_phone.__version__"
    assert metadata.version("django-lc-phone") == django_lc_phone.__version__


def test_the_classifiers_list_what_the_matrix_runs() -> None:
    project = _pyproject()["project"]
    pythons: list[str] = _noxfile_constant("PYTHONS")
    djangos: dict[str, list[str]] = _noxfile_constant("DJANGO_PYTHONS")
    classifiers = project["classifiers"]
    prefix_py, prefix_dj = "Programming Language :: Python :: 3.", "Framework :: Django :: "
    assert sorted(c for c in classifiers if c.startswith(prefix_py)) == sorted(
        f"Programming Language :: Python :: {v}" for v in pythons
    )
    assert sorted(c for c in classifiers if c.startswith(prefix_dj)) == sorted(
        f"Framework :: Django :: {v}" for v in djangos
    )
    assert {p for ps in djangos.values() for p in ps} == set(pythons)
    assert project["requires-python"] == f">={min(pythons, key=lambda v: int(v.split('.')[1]))}"


def test_the_license_is_mit() -> None:
    project = _pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


@wheel_only
def test_the_suite_imports_the_installed_wheel() -> None:
    purelib = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert PACKAGE.is_relative_to(purelib), PACKAGE
    assert SOURCE_TREE is not None
    assert not PACKAGE.samefile(Path(SOURCE_TREE) / "django_lc_phone")
    assert not (ROOT / "django_lc_phone").exists()  # nothing next to the tests shadows it
    direct_url = metadata.distribution("django-lc-phone").read_text("direct_url.json") or ""
    assert '"editable": true' not in direct_url
    assert sys.prefix != sys.base_prefix  # a virtual environment of its own


@wheel_only
def test_the_installed_package_holds_its_data() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert (PACKAGE / "migrations" / "0001_phone_profile.py").is_file()
    assert (PACKAGE / "management" / "commands").is_dir()
    # Every file the source package holds (templates, locale, migrations...) was installed.
    assert SOURCE_TREE is not None
    source = Path(SOURCE_TREE) / "django_lc_phone"
    shipped = {
        p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    }
    missing = sorted(name for name in shipped if not (PACKAGE / name).is_file())
    assert not missing
    # A catalogue is only useful compiled: each .po ships with its .mo.
    for po in PACKAGE.rglob("*.po"):
        assert po.with_suffix(".mo").is_file(), po


@wheel_only
def test_the_wheel_holds_the_package_and_its_metadata_only() -> None:
    assert WHEEL is not None
    names = zipfile.ZipFile(WHEEL).namelist()
    info = f"django_lc_phone-{django_lc_phone.__version__}.dist-info/"
    assert all(n.startswith(("django_lc_phone/", info)) for n in names), names
    assert f"{info}licenses/LICENSE" in names
    assert "django_lc_phone/py.typed" in names
    entry_points = zipfile.ZipFile(WHEEL).read(f"{info}entry_points.txt").decode()
    assert "django_lc_phone = django_lc_phone.testing.pytest_plugin" in entry_points


@wheel_only
def test_the_sdist_holds_the_package_tests_and_docs() -> None:
    assert SDIST is not None
    with tarfile.open(SDIST) as sdist:
        top = f"django_lc_phone-{django_lc_phone.__version__}/"
        names = {n.removeprefix(top) for n in sdist.getnames()}
    for needed in [
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "MANIFEST.in",
        "manage.py",
        "django_lc_phone/__init__.py",
        "django_lc_phone/py.typed",
        "tests/conftest.py",
        "example_project/settings.py",
    ]:
        assert needed in names, needed
    assert not [n for n in names if "node_modules" in n or "__pycache__" in n]
    assert not [n for n in names if n.startswith((".nox/", ".venv/", ".sdk-venvs/"))]
    assert not [n for n in names if n.startswith("bench/")]  # benchmarks are not the package's
