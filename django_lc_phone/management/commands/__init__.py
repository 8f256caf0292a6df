"""``lc_import_users`` (the importer) and ``lc_emulator`` (a LeanCloud to develop against)."""
