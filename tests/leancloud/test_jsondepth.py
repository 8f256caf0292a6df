"""``jsondepth.py``: the nesting cap that keeps ``json`` from recursing (finding 10)."""

from __future__ import annotations

import json
import time

import pytest

from django_lc_phone.leancloud import jsondepth
from django_lc_phone.leancloud.jsondepth import MAX_JSON_DEPTH, JSONTooDeep


def _nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def test_the_limit_itself_is_allowed_and_one_more_level_is_not() -> None:
    assert not jsondepth.too_deep(_nested(MAX_JSON_DEPTH))
    assert jsondepth.too_deep(_nested(MAX_JSON_DEPTH + 1))
    assert jsondepth.loads(_nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(JSONTooDeep):
        jsondepth.loads(_nested(MAX_JSON_DEPTH + 1))


def test_objects_and_arrays_count_alike() -> None:
    text = '{"a":' * 20 + "[" * 20 + "]" * 20 + "}" * 20
    assert jsondepth.too_deep(text)
    assert not jsondepth.too_deep(text, limit=40)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"value": "[" * 5000}),  # brackets in a string are text
        json.dumps({"value": '\\"' + "{" * 5000}),  # an escaped quote does not end the string
        json.dumps({"k" * 10: "\\", "x": "[" * 500}),  # an escaped backslash does not escape '"'
        json.dumps([[1, 2]] * 5000),  # many levels one after the other, not inside each other
    ],
)
def test_brackets_inside_strings_and_siblings_do_not_count(text: str) -> None:
    assert not jsondepth.too_deep(text)
    json.loads(text)  # and json agrees it parses


def test_a_string_hiding_brackets_does_not_hide_the_real_ones() -> None:
    text = '["]' + "[" * 100 + '"' + "[" * 40 + "]" * 40 + "]"
    assert jsondepth.too_deep(text)


def test_a_nesting_json_cannot_parse_is_refused_as_a_value_error() -> None:
    """Finding 10: without the cap, ``json`` raises ``RecursionError`` (not a ``ValueError``),
    which the callers turned into a 500."""
    deep = _nested(5000)
    with pytest.raises(RecursionError):
        json.loads(deep)
    with pytest.raises(ValueError, match="nested deeper than"):
        jsondepth.loads(deep.encode())


def test_bytes_are_decoded_as_json_decodes_them() -> None:
    assert jsondepth.loads('{"a": "é"}'.encode("utf-16")) == {"a": "é"}
    with pytest.raises(JSONTooDeep):
        jsondepth.loads(_nested(MAX_JSON_DEPTH + 1).encode("utf-16"))


def test_the_scan_is_linear() -> None:
    """Bodies of a megabyte (the emulator's cap) are scanned in well under a second each: no
    backtracking, however the strings, escapes and brackets are laid out."""
    bodies = [
        "[]" * 500_000,
        "[" * 1_000_000,
        ('"\\"' + "[" * 1000) * 1000,  # strings that start with an escaped quote
        '"' + '\\"' * 500_000,  # one unterminated string of escaped quotes
        '"\\"' * 300_000 + "\\",  # a lone backslash at the very end
    ]
    for body in bodies:
        started = time.perf_counter()
        jsondepth.too_deep(body)
        assert time.perf_counter() - started < 1.0, body[:20]
