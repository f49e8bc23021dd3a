"""The rule languages' parsers load from the shipped parse tables, and parse as if built."""

from __future__ import annotations

import logging

import pytest
from lark import Lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

from mockmind.domain.rules import conditions, expressions, grammar_tables, grammar_tables_writer
from mockmind.domain.rules.grammar_tables import (
    build_parser,
    lalr_parser,
    shipped_tables,
    tables_key,
)
from mockmind.domain.rules.grammar_tables_writer import rule_grammars
from mockmind.domain.rules.table_parser import compact_tables

REGENERATE = "python -m mockmind.domain.rules.grammar_tables_writer --write"

SAMPLES = {
    "conditions": [
        "body.total > 100",
        "request.query.status == 'paid' and not state.closed",
        "len(items) >= 2 or header('x-tier') in ['gold', 'silver']",
    ],
    "expressions": [
        "sum(items[].price * items[].quantity)",
        "round(subtotal * 1.2, 2)",
        "lookup(products, product_id).price",
        "-count(items) % 3 + [1, 2.5, 'x'][0]",
    ],
}


def test_the_shipped_tables_match_the_grammars_lark_and_python() -> None:
    shipped = shipped_tables()
    for name, grammar in rule_grammars().items():
        assert name in shipped, f"no shipped tables for {name}: run `{REGENERATE}`"
        assert shipped[name][0] == tables_key(grammar), (
            f"the shipped parse tables of {name} are for another grammar, lark or Python "
            f"(lark {grammar_tables.lark_version()} is installed): run `{REGENERATE}`"
        )


def _parses(parser: Lark, samples: list[str]) -> list[object]:
    trees: list[object] = []
    for text in samples:
        try:
            trees.append(parser.parse(text))
        except Exception as error:  # a sample that fails must fail alike
            trees.append(type(error).__name__)
    return trees


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_shipped_and_built_parsers_give_the_same_trees(name: str) -> None:
    grammar = rule_grammars()[name]
    shipped = lalr_parser(name, grammar)
    assert shipped.source_path == "<deserialized>"  # loaded from the tables, not built
    built = build_parser(grammar)
    assert _parses(shipped, SAMPLES[name]) == _parses(built, SAMPLES[name])
    assert any(not isinstance(tree, str) for tree in _parses(built, SAMPLES[name]))


def test_the_languages_use_the_shipped_tables() -> None:
    assert conditions.lark_parser().source_path == "<deserialized>"
    assert expressions.lark_parser().source_path == "<deserialized>"
    # and read them without lark too (table_parser.py; test_table_parser.py)
    assert conditions._TABLE_PARSER is not None
    assert expressions._TABLE_PARSER is not None


def test_the_lark_free_parsers_tables_are_shipped_for_these_grammars() -> None:
    version, parsers = grammar_tables.shipped_table_parsers()
    assert version == grammar_tables.lark_version(), f"run `{REGENERATE}`"
    for name, grammar in rule_grammars().items():
        assert parsers[name][0] == tables_key(grammar), f"run `{REGENERATE}`"
        assert parsers[name][1] is not None


def test_stale_or_missing_tables_give_no_lark_free_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    grammar = rule_grammars()["expressions"]
    version, parsers = grammar_tables.shipped_table_parsers()
    tables = parsers["expressions"][1]
    stale = (version, {"expressions": ("stale", tables)})
    monkeypatch.setattr(grammar_tables, "shipped_table_parsers", lambda: stale)
    assert grammar_tables.table_parser("expressions", grammar) is None
    monkeypatch.setattr(grammar_tables, "shipped_table_parsers", lambda: (None, {}))
    assert grammar_tables.table_parser("expressions", grammar) is None
    monkeypatch.undo()
    monkeypatch.setattr(grammar_tables, "TABLE_PARSER_MODULE", "mockmind.domain.rules.no_such")
    assert grammar_tables.shipped_table_parsers() == (None, {})
    assert grammar_tables.table_parser("expressions", grammar) is None


def test_tables_of_another_lark_give_a_lark_free_parser_when_the_grammar_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grammar = rule_grammars()["expressions"]
    _, parsers = grammar_tables.shipped_table_parsers()
    other = {"expressions": (tables_key(grammar, "0.0.1"), parsers["expressions"][1])}
    monkeypatch.setattr(grammar_tables, "shipped_table_parsers", lambda: ("0.0.1", other))
    parser = grammar_tables.table_parser("expressions", grammar)
    assert parser is not None
    built = parser.parse("count(items)", expressions._Build())
    assert built == expressions.parse_expression("count(items)")._root
    # ... but not when the tables say they were written by a lark they are not keyed with
    monkeypatch.setattr(grammar_tables, "shipped_table_parsers", lambda: ("0.0.2", other))
    assert grammar_tables.table_parser("expressions", grammar) is None


def test_tables_lark_wrote_with_other_options_give_no_lark_free_parser() -> None:
    grammar = rule_grammars()["conditions"]
    data, memo = build_parser(grammar).memo_serialize([TerminalDef, Rule])
    assert compact_tables(data, memo) is not None
    other = {**data, "options": {**data["options"], "keep_all_tokens": True}}
    assert compact_tables(other, memo) is None


def test_damaged_tables_give_no_lark_free_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    grammar = rule_grammars()["conditions"]
    version = grammar_tables.lark_version()
    for damaged in [(), ((), (), (), "x", 0, 0), None]:
        shipped = (version, {"conditions": (tables_key(grammar), damaged)})
        monkeypatch.setattr(grammar_tables, "shipped_table_parsers", lambda s=shipped: s)
        assert grammar_tables.table_parser("conditions", grammar) is None


def test_stale_tables_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    grammar = rule_grammars()["expressions"]
    _, data, memo = shipped_tables()["expressions"]
    monkeypatch.setattr(
        grammar_tables, "shipped_tables", lambda: {"expressions": ("stale", data, memo)}
    )
    parser = lalr_parser("expressions", grammar)
    assert parser.source_path != "<deserialized>"
    assert _parses(parser, SAMPLES["expressions"]) == _parses(
        build_parser(grammar), SAMPLES["expressions"]
    )


def test_missing_tables_fall_back_to_building(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grammar_tables, "TABLES_MODULE", "mockmind.domain.rules.no_such_tables")
    assert shipped_tables() == {}
    assert lalr_parser("conditions", rule_grammars()["conditions"]).source_path != "<deserialized>"


def test_damaged_tables_fall_back_to_building(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    grammar = rule_grammars()["conditions"]
    monkeypatch.setattr(
        grammar_tables, "shipped_tables", lambda: {"conditions": (tables_key(grammar), {}, {})}
    )
    with caplog.at_level(logging.WARNING):
        parser = lalr_parser("conditions", grammar)
    assert parser.source_path != "<deserialized>"
    assert "do not load" in caplog.text


def test_the_module_prints_the_tables_it_would_write(capsys: pytest.CaptureFixture[str]) -> None:
    assert grammar_tables_writer.main([]) == 0
    namespace: dict[str, object] = {}
    exec(capsys.readouterr().out, namespace)
    tables = namespace["TABLES"]
    assert isinstance(tables, dict)
    # Built now, for these grammars, this lark and this Python: keyed as the shipped ones are
    # (the state numbers of the tables themselves may differ from one build to the next).
    assert {name: entry[0] for name, entry in tables.items()} == {
        name: tables_key(grammar) for name, grammar in rule_grammars().items()
    }
    assert namespace["LARK_VERSION"] == grammar_tables.lark_version()
    parsers = namespace["PARSERS"]
    assert isinstance(parsers, dict)
    assert {name: entry[0] for name, entry in parsers.items()} == {
        name: tables_key(grammar) for name, grammar in rule_grammars().items()
    }
