from __future__ import annotations

from pathlib import Path

import pytest

from mockmind.config import find_config_file, load_config, parse_config
from mockmind.config.models import RespondAction
from mockmind.config.substitution import substitute
from mockmind.domain.errors import ConfigError
from tests.support.paths import EXAMPLES, FIXTURES, ROOT

SEED = ROOT.parent / "shared" / "seed" / "config-example.yaml"
EXAMPLE = EXAMPLES / "shop" / "mockmind.yaml"


def _seed_text() -> str:
    if SEED.exists():
        return SEED.read_text()
    # A clone without ../shared beside it: the seed is vendored as a fixture.
    return (FIXTURES / "config-example.yaml").read_text()


def test_seed_config_loads_unchanged_without_the_key() -> None:
    loaded = parse_config(_seed_text(), env={})
    behavior = loaded.config.intelligent_behavior
    assert behavior.session_tracking.cookie_name == "mockforge_session"
    assert behavior.behavior_model.llm_provider == "openai"
    assert behavior.behavior_model.api_key is None
    assert loaded.unset_variables == ("OPENAI_API_KEY",)
    assert behavior.vector_store.similarity_threshold == 0.7
    assert behavior.performance.cache_ttl_seconds == 300
    rule = behavior.behavior_model.rules.consistency_rules[0]
    assert rule.action.type == "require_auth"
    assert "User" in behavior.behavior_model.rules.schemas


def test_vendored_seed_matches_the_shared_one() -> None:
    if not SEED.exists():
        pytest.skip("../shared/seed is not beside this clone")
    vendored = FIXTURES / "config-example.yaml"
    assert vendored.read_text() == SEED.read_text()


def test_key_is_a_secret_that_does_not_print() -> None:
    loaded = parse_config(_seed_text(), env={"OPENAI_API_KEY": "sk-very-secret"})
    key = loaded.config.intelligent_behavior.behavior_model.api_key
    assert key is not None
    assert key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(loaded.config)
    assert "sk-very-secret" not in str(loaded.config.model_dump())


def test_seed_defaults_when_sections_are_absent() -> None:
    config = parse_config("{}", env={}).config
    behavior = config.intelligent_behavior
    assert behavior.session_tracking.header_name == "X-Session-ID"
    assert behavior.session_tracking.query_param == "session_id"
    assert behavior.performance.max_history_length == 50
    assert behavior.performance.session_timeout_seconds == 3600
    assert behavior.vector_store.semantic_search_limit == 10
    assert config.storage.max_sessions == 10_000


@pytest.mark.parametrize("value", [0, -5])
def test_max_sessions_below_one_is_refused_with_its_line(value: int) -> None:
    text = f"storage:\n  backend: memory\n  max_sessions: {value}\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, env={})
    (issue,) = info.value.issues
    assert (issue.path, issue.line) == ("storage.max_sessions", 3)
    assert "greater than or equal to 1" in issue.message


def test_misspelt_key_names_its_line_and_a_suggestion() -> None:
    text = "intelligent_behavior:\n  performance:\n    cahce_ttl_seconds: 5\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, env={})
    (issue,) = info.value.issues
    assert issue.line == 3
    assert issue.path == "intelligent_behavior.performance.cahce_ttl_seconds"
    assert "did you mean 'cache_ttl_seconds'" in issue.message


def test_every_error_is_reported_at_once_in_line_order() -> None:
    text = (
        "intelligent_behavior:\n"
        "  performance:\n"
        "    max_history_length: lots\n"
        "  session_tracking:\n"
        "    method: carrier_pigeon\n"
        "  behavior_model:\n"
        "    rules:\n"
        "      consistency_rules:\n"
        "        - name: r\n"
        "          condition: \"method == 'GET'\"\n"
        "          action: {type: teleport}\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, env={})
    lines = [issue.line for issue in info.value.issues]
    assert lines == [3, 5, 11]
    assert "valid integer" in info.value.issues[0].message
    assert "teleport" in info.value.issues[2].message


def test_unknown_key_inside_a_rule_action_suggests_the_field() -> None:
    text = (
        "intelligent_behavior:\n  behavior_model:\n    rules:\n      consistency_rules:\n"
        "        - name: r\n          condition: \"path starts_with '/x'\"\n"
        "          action:\n            type: require_auth\n            mesage: hi\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, env={})
    (issue,) = info.value.issues
    assert issue.line == 9
    assert "did you mean 'message'" in issue.message


def test_broken_yaml_names_line_and_column() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("intelligent_behavior:\n  enabled: [true\n", env={})
    (issue,) = info.value.issues
    assert (issue.line, issue.column) == (3, 1)
    assert issue.message == "invalid YAML: expected ',' or ']', but got '<stream end>'"


def test_duplicate_rule_names_fail() -> None:
    rule = "        - {name: same, condition: \"method == 'GET'\", action: {type: require_auth}}\n"
    text = (
        "intelligent_behavior:\n  behavior_model:\n    rules:\n      consistency_rules:\n"
        + rule * 2
    )
    with pytest.raises(ConfigError, match="used twice"):
        parse_config(text, env={})


def _rule_action(action: str) -> str:
    return (
        "intelligent_behavior:\n  behavior_model:\n    rules:\n      consistency_rules:\n"
        f"        - {{name: r, condition: \"path == '/x'\", action: {action}}}\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _rule_action('{type: respond, headers: {X-Reason: "a\\r\\nSet-Cookie: x=1"}}'),
            "holds a control character",
        ),
        (_rule_action('{type: respond, headers: {X-Reason: "nul\\0"}}'), "control character"),
        (_rule_action('{type: respond, headers: {X-Reason: "10 €"}}'), "cannot carry"),
        (_rule_action('{type: respond, headers: {"X Reason": "ok"}}'), "'X Reason' is not a valid"),
        (_rule_action("{type: require_auth, realm: 'a\"b'}"), "realm"),
        (
            "intelligent_behavior:\n  session_tracking: {method: header, header_name: 'X S'}\n",
            "'X S' is not a valid header or cookie name",
        ),
        (
            "intelligent_behavior:\n  session_tracking: {cookie_name: 'sess;id'}\n",
            "'sess;id' is not a valid header or cookie name",
        ),
    ],
)
def test_what_the_config_sends_as_a_header_must_fit_one(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, env={})
    (issue,) = info.value.issues
    assert message in issue.message


def test_a_latin_1_header_value_in_the_config_is_sent_as_written() -> None:
    loaded = parse_config(_rule_action('{type: respond, headers: {X-Reason: "café"}}'), env={})
    (rule,) = loaded.config.intelligent_behavior.behavior_model.rules.consistency_rules
    assert isinstance(rule.action, RespondAction)
    assert rule.action.headers == {"X-Reason": "café"}


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "1"}, "1"),
        ("${A}", {}, ""),
        ("${A:-fallback}", {}, "fallback"),
        ("${A:-fallback}", {"A": ""}, "fallback"),
        ("${A:-fallback}", {"A": "set"}, "set"),
        ("pre-${A}-post", {"A": "x"}, "pre-x-post"),
        ("$${A}", {"A": "x"}, "${A}"),
        ("no refs", {}, "no refs"),
    ],
)
def test_substitution(text: str, env: dict[str, str], expected: str) -> None:
    assert substitute(text, env) == expected


def test_substitution_applies_to_typed_fields() -> None:
    text = "intelligent_behavior:\n  performance:\n    cache_ttl_seconds: ${TTL:-42}\n"
    assert (
        parse_config(text, env={}).config.intelligent_behavior.performance.cache_ttl_seconds == 42
    )
    config = parse_config(text, env={"TTL": "7"}).config
    assert config.intelligent_behavior.performance.cache_ttl_seconds == 7


def test_config_file_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_config_file(None, {}) is None
    (tmp_path / "mockmind.yaml").write_text("{}")
    assert find_config_file(None, {}) == Path("mockmind.yaml")
    assert find_config_file(None, {"MOCKMIND_CONFIG": "/x.yaml"}) == Path("/x.yaml")
    assert find_config_file("/y.yaml", {"MOCKMIND_CONFIG": "/x.yaml"}) == Path("/y.yaml")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.yaml", env={})


def test_example_config_points_at_its_openapi_document() -> None:
    loaded = load_config(EXAMPLE, env={})
    assert loaded.openapi_path() == EXAMPLES / "shop" / "openapi.yaml"
    assert (EXAMPLES / "shop" / "openapi.yaml").is_file()


def test_max_json_depth_defaults_to_64_and_may_be_set_up_to_100() -> None:
    assert parse_config("{}", env={}).config.server.max_json_depth == 64
    text = "server:\n  max_json_depth: 100\n"
    assert parse_config(text, env={}).config.server.max_json_depth == 100
    assert parse_config("server: {max_json_depth: 8}\n", env={}).config.server.max_json_depth == 8


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Input should be greater than or equal to 1 (got 0)"),
        ("101", "Input should be less than or equal to 100 (got 101)"),
        ("deep", "Input should be a valid integer"),
    ],
)
def test_max_json_depth_out_of_range_names_the_key_and_line(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(f"storage: {{backend: memory}}\nserver:\n  max_json_depth: {value}\n", env={})
    (issue,) = info.value.issues
    assert issue.path == "server.max_json_depth"
    assert issue.line == 3
    assert issue.message.startswith(message)


def test_the_journal_section_is_optional_bounded_and_closed() -> None:
    assert parse_config("{}", env={}).config.journal.model_dump() == {
        "enabled": True,
        "max_events": 200,
    }
    loaded = parse_config("journal: {enabled: false, max_events: 5}", env={}).config.journal
    assert (loaded.enabled, loaded.max_events) == (False, 5)
    with pytest.raises(ConfigError, match=r"journal\.max_events"):
        parse_config("journal: {max_events: 0}", env={})
    with pytest.raises(ConfigError, match=r"journal\.keep"):
        parse_config("journal: {keep: 3}", env={})
