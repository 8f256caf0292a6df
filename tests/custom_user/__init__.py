"""A custom user model for the second test configuration (``tests.settings_custom_user``)."""
