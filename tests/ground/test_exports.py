"""The ground floor's public surface is what its __all__ says, and every name in it exists."""

from __future__ import annotations

import importlib

import pytest

GROUND = ["registrum.policy", "registrum.audit", "registrum.storage", "registrum.dbkit", "registrum.httpkit"]


@pytest.mark.parametrize("name", GROUND)
def test_every_exported_name_exists(name):
    module = importlib.import_module(name)
    assert module.__all__, f"{name} declares no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing objects: {missing}"


def test_policy_imports_nothing_from_django():
    import sys

    import registrum.policy  # noqa: F401

    policy_modules = [m for m in sys.modules if m.startswith("registrum.policy")]
    for module_name in policy_modules:
        source = importlib.import_module(module_name).__file__ or ""
        with open(source, encoding="utf-8") as handle:
            assert "django" not in handle.read(), f"{module_name} must stay pure Python"
