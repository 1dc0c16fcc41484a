"""The custody API tests use the custody tests' registry chain (tests/custody/conftest.py)."""

from __future__ import annotations

from tests.custody.conftest import custody_world

__all__ = ["custody_world"]
