"""``python -m django_lc_phone.emulator [--port 8765] ...``: run the emulator with no Django."""

from .cli import main

main()
