"""Fakes and helpers that more than one test layer uses; no tests are collected here."""

import pkgutil

import pytest

# Helpers here assert on behalf of the tests that call them (the shop flow, the spec check).
# pytest rewrites asserts only in test modules and conftest.py unless told, and a plain assert
# fails without the values that explain it. Submodules are named one by one: this package
# itself is already being imported, too late to be rewritten.
pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))
