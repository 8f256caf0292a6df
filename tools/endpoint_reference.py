"""Write ``docs/endpoints.md``, the endpoint reference, from the API's OpenAPI schema.

The schema is drf-spectacular's, generated from the views themselves (their serializers and
documented answers), for the example site, which serves the API at ``/auth/phone/``. So the
reference cannot drift from the code: ``tests/test_docs.py`` regenerates it and fails when the
committed page differs.

Usage: ``python tools/endpoint_reference.py`` (rewrites the page) or ``--check`` (exit 1 if it
is stale).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "endpoints.md"
PREFIX = "/auth/phone/"

HEADER = """# Endpoint reference

Every endpoint of the phone API, generated from its OpenAPI 3 schema (drf-spectacular) as the
example site serves it, under `/auth/phone/`; your site serves them wherever it includes
`django_lc_phone.urls`. Do not edit this page by hand: `python tools/endpoint_reference.py`
writes it, and the test suite fails when it is stale. [api.md](api.md) explains the flows,
[errors.md](errors.md) every error `code`. The live schema is at `/api/schema/` on the example
site (Swagger UI at `/api/docs/`).

Every body is JSON. Every error answer is an [`Error`](#error): `{"code", "detail"}`, plus
`errors` per field for bad input.
"""


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
    # The reference documents the default configuration, whatever this shell has set.
    for name in [n for n in os.environ if n.startswith(("LEANCLOUD_", "LC_PHONE_", "DJANGO_"))]:
        if name != "DJANGO_SETTINGS_MODULE":
            del os.environ[name]
    import django

    django.setup()


def _schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return dict(SchemaGenerator().get_schema(request=None, public=True))


def _text(value: str) -> str:
    """reStructuredText's double backticks (the docstrings') as Markdown code."""
    return re.sub(r"``(.+?)``", r"`\1`", value).strip()


def _cell(value: str) -> str:
    return _text(value).replace("|", "\\|").replace("\n", " ")


def _ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref") or next((item["$ref"] for item in node.get("allOf", [])), None)
    return ref.rsplit("/", 1)[-1] if ref else None


def _type(node: dict[str, Any], schemas: dict[str, Any]) -> str:
    name = _ref_name(node)
    if name is not None:
        target = schemas[name]
        if "enum" in target:
            return " or ".join(f"`{value}`" for value in target["enum"])
        return f"[`{name}`](#{name.lower()})"
    kind = node.get("type", "any")
    if kind == "array":
        return f"array of {_type(node.get('items', {}), schemas)}"
    if kind == "object" and "additionalProperties" in node:
        inner = node["additionalProperties"]
        return f"object of {_type(inner, schemas)}" if inner else "object"
    limits = []
    if "maxLength" in node:
        limits.append(f"at most {node['maxLength']} characters")
    if "pattern" in node:
        limits.append(f"matching `{node['pattern']}`")
    if node.get("nullable"):
        limits.append("or null")
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _fields(schema: dict[str, Any], schemas: dict[str, Any], *, writing: bool) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | default / notes |", "| --- | --- | --- | --- |"]
    for name, node in schema.get("properties", {}).items():
        if node.get("readOnly" if writing else "writeOnly"):
            continue
        notes = []
        if "default" in node:
            notes.append(f"default `{node['default']}`")
        if node.get("description"):
            notes.append(_cell(node["description"]))
        if node.get("writeOnly"):
            notes.append("never in an answer")
        rows.append(
            f"| `{name}` | {_type(node, schemas)} | {'yes' if name in required else 'no'} "
            f"| {'; '.join(notes)} |"
        )
    return rows


def _security(operation: dict[str, Any]) -> str:
    schemes = {name for item in operation.get("security", []) for name in item}
    if not schemes:
        return "none: anyone may call it"
    return (
        "signed in: the token from `signup/` or `login/` (`Authorization: Token ...`), "
        "or the session cookie"
    )


def _answer_rows(operation: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    rows = ["| status | body | meaning |", "| --- | --- | --- |"]
    for status in sorted(operation["responses"], key=int):
        answer = operation["responses"][status]
        body = "none"
        content = answer.get("content", {}).get("application/json")
        if content:
            body = _type(content["schema"], schemas)
        meaning = _cell(answer.get("description", ""))
        if "Retry-After" in answer.get("headers", {}) and "Retry-After" not in meaning:
            meaning += " With a `Retry-After` header (seconds)."
        rows.append(f"| {status} | {body} | {meaning.strip()} |")
    return rows


def _operation(
    path: str, method: str, operation: dict[str, Any], schemas: dict[str, Any]
) -> list[str]:
    lines = [f"## `{method.upper()} {path}`", ""]
    if operation.get("description"):
        lines += [_text(operation["description"]), ""]
    lines += [f"**Authentication:** {_security(operation)}.", ""]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        name = _ref_name(body["schema"])
        lines += [f"**Request body:** [`{name}`](#{str(name).lower()})", ""]
        lines += [*_fields(schemas[str(name)], schemas, writing=True), ""]
    else:
        lines += ["**Request body:** none.", ""]
    lines += ["**Answers:**", "", *_answer_rows(operation, schemas), ""]
    return lines


def _route_order() -> list[str]:
    from django_lc_phone.api.urls import urlpatterns

    return [PREFIX + str(pattern.pattern) for pattern in urlpatterns]


def render() -> str:
    """The whole page."""
    _setup_django()
    schema = _schema()
    schemas = schema["components"]["schemas"]
    order = {path: index for index, path in enumerate(_route_order())}
    paths = sorted(schema["paths"], key=lambda path: order.get(path, len(order)))
    lines = [HEADER]
    for path in paths:
        for method, operation in schema["paths"][path].items():
            lines += _operation(path, method, operation, schemas)
    lines += ["# Schemas", ""]
    for name in sorted(schemas):
        node = schemas[name]
        if "enum" in node:
            continue  # shown inline where used
        lines += [f"## `{name}`", ""]
        if node.get("description"):
            lines += [_text(node["description"]), ""]
        lines += [*_fields(node, schemas, writing=False), ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    options = parser.parse_args(argv)
    page = render()
    if options.check:
        if PAGE.read_text(encoding="utf-8") != page:
            print(f"{PAGE.relative_to(ROOT)} is stale: run python tools/endpoint_reference.py")
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
