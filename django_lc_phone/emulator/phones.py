"""Phone numbers as LeanCloud accepts them: ``+`` and country code, or a bare number meaning +86.

The rule is the protocol's (``protocol.normalize_phone``), shared with the compat layer.
"""

from __future__ import annotations

from ..leancloud.protocol import normalize_phone

__all__ = ["normalize_phone"]
