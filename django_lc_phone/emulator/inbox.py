"""The human-readable SMS inbox served at ``GET /emulator/``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>LeanCloud emulator inbox</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }}
td.code {{ font: bold 1.3rem monospace; letter-spacing: .15rem; }}
.muted {{ color: #777; }}
</style></head>
<body>
<h1>LeanCloud emulator inbox</h1>
<p class="muted">{count} message(s), newest first. The page refreshes every 5 seconds.
JSON: <a href="{base}/emulator/v1/messages">{base}/emulator/v1/messages</a></p>
<table><thead><tr><th>Time (UTC)</th><th>Number</th><th>Code</th><th>Type</th><th>Purpose</th>
<th>Text</th></tr></thead><tbody>
{rows}
</tbody></table>
</body></html>
"""

_ROW = (
    '<tr><td>{createdAt}</td><td>{mobilePhoneNumber}</td><td class="code">{code}</td>'
    "<td>{smsType}</td><td>{purpose}</td><td>{text}</td></tr>"
)


def render_inbox(messages: Iterable[Mapping[str, Any]], base: str) -> str:
    """The inbox page for the outbox messages (given oldest first, shown newest first)."""
    items = list(messages)
    rows = "\n".join(
        _ROW.format(**{k: escape(str(v if v is not None else "—")) for k, v in m.items()})
        for m in reversed(items)
    )
    empty = '<tr><td colspan="6" class="muted">No messages yet.</td></tr>'
    return _PAGE.format(count=len(items), rows=rows or empty, base=escape(base))
