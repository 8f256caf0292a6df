"""Stands in for the SDK tests' ``request_generator`` module, which the 3.0.2 sdist leaves out.

``tests/test_engine.py`` imports it to sign its LeanEngine hook requests (all out of scope
here). The signature is our own ``leancloud/wire.py``'s ``X-LC-Sign``, loaded by file path
(``LC_PHONE_WIRE``): the SDK's environment does not have django_lc_phone installed.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time


def _wire() -> object:
    spec = importlib.util.spec_from_file_location("lc_phone_wire", os.environ["LC_PHONE_WIRE"])
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def generate_request(app_key: str, master_key: bool = False) -> str:
    """An ``X-LC-Sign`` value for ``app_key`` (marked ``master`` when it is the master key)."""
    sign: str = getattr(_wire(), "sign_header")(  # noqa: B009 - a module loaded by path
        app_key, int(time.time() * 1000), master=master_key
    )
    return sign
