"""``tenants.api_keys`` maps secret keys to tenants: the keys come from the environment."""

from __future__ import annotations

from mockmind.config import parse_config

_TEXT = """
tenants:
  catalog: tenants
  api_keys:
    ${ACME_KEY}: acme
    ${GLOBEX_KEY:-globex-local}: globex
    plain-key: initech
"""


def test_keys_naming_variables_are_substituted() -> None:
    loaded = parse_config(_TEXT, env={"ACME_KEY": "k-acme-123"})
    assert loaded.config.tenants is not None
    assert loaded.config.tenants.api_keys == {
        "k-acme-123": "acme",
        "globex-local": "globex",
        "plain-key": "initech",
    }
    # Listed as values' variables are: unset, even where a default stands in.
    assert loaded.unset_variables == ("GLOBEX_KEY",)


def test_a_key_whose_variable_is_unset_is_no_key() -> None:
    loaded = parse_config(_TEXT, env={})
    assert loaded.config.tenants is not None
    # An empty header value must never pick acme.
    assert loaded.config.tenants.api_keys == {"globex-local": "globex", "plain-key": "initech"}
    assert loaded.unset_variables == ("ACME_KEY", "GLOBEX_KEY")
