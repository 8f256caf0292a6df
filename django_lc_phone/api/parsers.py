"""The API's JSON parser: DRF's, refusing a body nested too deeply before parsing it."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ..leancloud import jsondepth


class DepthLimitedJSONParser(JSONParser):
    """``JSONParser`` with nesting capped at ``jsondepth.MAX_JSON_DEPTH``: a deeper body is
    400 ``parse_error``, as malformed JSON is (``json`` would raise ``RecursionError``)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Scan the body, then parse it as DRF does."""
        raw: bytes = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            text = ""  # not text in that charset: JSONParser refuses it below
        if jsondepth.too_deep(text):
            raise ParseError(_("The JSON body is nested too deeply."))
        return super().parse(io.BytesIO(raw), media_type, parser_context)
