"""Command-line options for running the emulator (shared by ``python -m`` and ``lc_emulator``)."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from ..leancloud.protocol import ProtocolError, normalize_phone
from ..leancloud.wire import SMS_CODE_RE
from . import export
from .app import Emulator
from .config import DEMO_APP_ID, DEMO_APP_KEY, DEMO_MASTER_KEY, EmulatorConfig
from .server import make_server


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options on an existing parser."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (8765)")
    parser.add_argument("--state", metavar="FILE", help="keep state in this SQLite file")
    parser.add_argument("--app-id", default=DEMO_APP_ID, help="app id to accept")
    parser.add_argument("--app-key", default=DEMO_APP_KEY, help="app key to accept")
    parser.add_argument("--master-key", default=DEMO_MASTER_KEY, help="master key to accept")
    parser.add_argument(
        "--test-number",
        action="append",
        default=[],
        metavar="PHONE=CODE",
        help="a console test number with a fixed 6-digit code (repeatable)",
    )
    parser.add_argument(
        "--captcha-required", action="store_true", help="every SMS send needs a validate_token"
    )
    parser.add_argument("--quiet", action="store_true", help="do not print codes to the console")
    parser.add_argument(
        "--export",
        metavar="OUT",
        help="write --state's _User as LeanCloud's data export to OUT (mode 600) and exit",
    )
    parser.add_argument(
        "--export-format",
        choices=export.FORMATS,
        help='{"results": [...]} (json) or JSON lines (jsonl); default: from OUT\'s name',
    )


def _is_phone(value: str) -> bool:
    try:
        normalize_phone(value)
    except ProtocolError:
        return False
    return True


def build(options: argparse.Namespace, console: TextIO | None = None) -> Emulator:
    """An emulator configured from parsed options."""
    numbers = {}
    for item in options.test_number:
        phone, sep, code = item.partition("=")
        if not sep or not SMS_CODE_RE.fullmatch(code) or not _is_phone(phone):
            raise SystemExit(f"--test-number must be PHONE=CODE with a 6-digit code: {item!r}")
        numbers[phone] = code
    config = EmulatorConfig(
        app_id=options.app_id,
        app_key=options.app_key,
        master_key=options.master_key,
        test_numbers=numbers,
        captcha_required=options.captcha_required,
        echo_codes=not options.quiet,
    )
    return Emulator(config, state_path=options.state, console=console)


def run(options: argparse.Namespace, console: TextIO | None = None) -> None:
    """Serve until interrupted."""
    out = console or sys.stdout
    emulator = build(options, out)
    if getattr(options, "export", None):
        count = export.write_file(emulator.store, options.export, options.export_format)
        out.write(f"Exported {count} _User record(s) to {options.export}\n")
        return
    server = make_server(emulator, options.host, options.port)
    url = f"http://{options.host}:{server.server_port}"
    out.write(f"LeanCloud emulator on {url}  (API {url}/1.1/, inbox {url}/emulator/)\n")
    out.write(f"App id: {options.app_id}  state: {options.state or 'in memory'}\n")
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.faults.release.set()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    """``python -m django_lc_phone.emulator``."""
    parser = argparse.ArgumentParser(prog="python -m django_lc_phone.emulator")
    add_arguments(parser)
    run(parser.parse_args(argv))
