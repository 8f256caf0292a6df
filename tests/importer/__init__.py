"""Tests of the LeanCloud password hasher and the ``_User`` importer."""
