"""The app's management commands (Django finds them in ``commands/``)."""
