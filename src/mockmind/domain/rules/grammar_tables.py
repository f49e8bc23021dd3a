"""The LALR parsers of the rule languages, loaded from parse tables shipped with the package.

Building a lark LALR parser computes its parse tables from the grammar: about a tenth of a
mock-only cold start for the two rule languages. The tables depend only on the grammar, the
parser options, lark's version and Python's, so they are shipped precomputed in
``grammar_tables_data.py`` (a Python literal, loaded from bytecode, never pickle) under a key of
all four. When the key differs (a lark upgrade, an edited grammar) or the module is missing, the
parser is built from the grammar as before; nothing is ever written at run time (Lambda's code
directory is read-only). ``table_parser`` reads the same tables, written in its own form
(``table_parser_data.py``, nested tuples Python loads as constants), without importing lark:
a start whose rules all parse never imports lark nor builds lark's tables. Rewrite the tables with
``python -m mockmind.domain.rules.grammar_tables_writer --write``;
tests/unit/domain/test_grammar_tables.py fails until then.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from mockmind.domain.rules.table_parser import TableParser

if TYPE_CHECKING:
    from lark import Lark

_log = logging.getLogger(__name__)

# The options every rule-language parser is built with (part of the tables' key).
PARSER_OPTIONS: Final[Mapping[str, Any]] = {"parser": "lalr", "maybe_placeholders": False}
TABLES_MODULE: Final = "mockmind.domain.rules.grammar_tables_data"
TABLE_PARSER_MODULE: Final = "mockmind.domain.rules.table_parser_data"


def lark_version() -> str:
    """The installed lark's version."""
    import lark  # noqa: PLC0415 (what a start that parses with ``table_parser`` saves)

    return str(lark.__version__)


def tables_key(grammar: str, lark_version_: str | None = None) -> str:
    """What the parse tables of ``grammar`` depend on, as one digest: for the installed lark,
    or for the one named."""
    options = "".join(f"{name}={value!r};" for name, value in sorted(PARSER_OPTIONS.items()))
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    version = lark_version_ if lark_version_ is not None else lark_version()
    key = f"{grammar}\0{options}\0{version}\0{python}"
    return hashlib.sha256(key.encode()).hexdigest()


def shipped_tables() -> Mapping[str, tuple[str, Any, Any]]:
    """The shipped tables by language name: (key, data, memo); empty when not shipped."""
    try:
        module = importlib.import_module(TABLES_MODULE)
    except ImportError:
        return {}
    tables: Mapping[str, tuple[str, Any, Any]] = getattr(module, "TABLES", {})
    return tables


def shipped_table_parsers() -> tuple[str | None, Mapping[str, tuple[str, Any]]]:
    """The lark-free parser's tables (``table_parser_data.py``): the version of the lark that
    wrote them, and (key, tables) by language name; nothing when not shipped."""
    try:
        module = importlib.import_module(TABLE_PARSER_MODULE)
    except ImportError:
        return None, {}
    version = getattr(module, "LARK_VERSION", None)
    parsers: Mapping[str, tuple[str, Any]] = getattr(module, "PARSERS", {})
    return (version if isinstance(version, str) else None), parsers


def table_parser(name: str, grammar: str) -> TableParser | None:
    """The lark-free parser of language ``name``, when its shipped tables match ``grammar``.

    The tables need only be for this grammar, parser options and Python: whichever lark
    wrote them, they describe the same language, and this parser does not run lark's code
    (the key is checked with the writing lark's version, so lark is not imported)."""
    version, parsers = shipped_table_parsers()
    shipped = parsers.get(name)
    if version is None or shipped is None or shipped[0] != tables_key(grammar, version):
        return None
    if shipped[1] is None:  # lark's options for this language are not this parser's
        return None
    try:
        return TableParser(shipped[1])
    except (IndexError, KeyError, TypeError, ValueError):  # damaged: lark's, from its tables
        return None


def lalr_parser(name: str, grammar: str) -> Lark:
    """The parser of ``grammar``, from the shipped tables of language ``name`` when they match."""
    from lark import Lark  # noqa: PLC0415 (only a rule that does not parse needs lark)

    shipped = shipped_tables().get(name)
    if shipped is not None and shipped[0] == tables_key(grammar):
        try:
            loaded: Lark = Lark._load_from_dict(shipped[1], shipped[2])  # type: ignore[no-untyped-call]
        except Exception:  # any damage to the tables: build instead
            _log.warning("the shipped parse tables of %s do not load; building them", name)
        else:
            return loaded
    return build_parser(grammar)


def build_parser(grammar: str) -> Lark:
    """The parser of ``grammar``, its tables computed from the grammar."""
    from lark import Lark  # noqa: PLC0415

    return Lark(grammar, **PARSER_OPTIONS)
