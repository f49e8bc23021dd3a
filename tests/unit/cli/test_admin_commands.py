"""Every admin command through click's CliRunner, against the contract's routes served by an
``httpx.MockTransport`` (fake_admin): what it prints, its exit code, its ``--json`` shape, and
how it fails (refused token, missing session, no server, an answer of another shape)."""

# The printed tables are compared whole, and some are wider than a line of code.
# ruff: noqa: E501

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from mockmind.cli import main, output
from mockmind.cli.admin_commands import Connection
from tests.unit.cli import fake_admin
from tests.unit.cli.fake_admin import FORKED, IMPORTED, OTHER, SESSION, TOKEN, FakeAdmin

# What the environment of the run may hold that would change where or how the CLI calls.
_CLEARED = {"MOCKMIND_URL": None, "MOCKMIND_ADMIN_TOKEN": None, "COLUMNS": None}


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


def run(
    fake: FakeAdmin | httpx.MockTransport,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
) -> Result:
    transport = fake.transport() if isinstance(fake, FakeAdmin) else fake
    return CliRunner().invoke(
        main,
        list(args),
        obj=Connection(transport),
        env={**_CLEARED, **(env or {})},
        input=stdin,
    )


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"


# -- sessions


def test_sessions_prints_a_table_newest_first(fake: FakeAdmin) -> None:
    result = run(fake, "sessions")
    assert result.exit_code == 0, result.output
    assert result.stdout == lines(f"""
Session                                       Requests   Login   Last seen (UTC)       Expires (UTC)
──────────────────────────────────────────────────────────────────────────────────────────────────────────
{SESSION}          3   yes     2026-12-03 07:23:08   2026-12-03 08:23:08
{OTHER}          1   no      2026-12-03 07:13:08   2026-12-03 08:13:08
2 sessions
""")
    assert result.stderr == ""
    (request,) = fake.requests
    assert (request.method, request.url.path, request.url.query) == (
        "GET",
        "/__mockmind/sessions",
        b"",
    )


def test_sessions_json_is_the_servers_page(fake: FakeAdmin) -> None:
    result = run(fake, "sessions", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "sessions": [fake.sessions[SESSION], fake.sessions[OTHER]],
        "next_cursor": None,
    }


def test_sessions_names_the_cursor_of_the_next_page(fake: FakeAdmin) -> None:
    first = run(fake, "sessions", "--limit", "1")
    assert first.exit_code == 0
    assert first.stdout.splitlines()[-2:] == ["1 session", "more: --cursor 1"]
    second = run(fake, "sessions", "--limit", "1", "--cursor", "1", "--json")
    assert json.loads(second.stdout) == {"sessions": [fake.sessions[OTHER]], "next_cursor": None}
    assert fake.requests[-1].url.params == httpx.QueryParams({"limit": "1", "cursor": "1"})


def test_sessions_all_follows_the_cursor_to_the_last_page(fake: FakeAdmin) -> None:
    result = run(fake, "sessions", "--limit", "1", "--all", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "sessions": [fake.sessions[SESSION], fake.sessions[OTHER]],
        "next_cursor": None,
    }
    assert [r.url.params.get("cursor") for r in fake.requests] == [None, "1"]


def test_sessions_all_stops_on_a_cursor_given_twice() -> None:
    def same_cursor(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"sessions": [], "next_cursor": "again"})

    result = run(httpx.MockTransport(same_cursor), "sessions", "--all")
    assert result.exit_code == 6
    assert result.stderr == "error: the server gave the cursor 'again' twice\n"


def test_sessions_filters_reach_the_server_as_the_contract_names_them(fake: FakeAdmin) -> None:
    result = run(
        fake,
        "sessions",
        "--prefix",
        "fVZ",
        "--since",
        "2026-12-03T07:00:00",
        "--until",
        "1796282600.5",
    )
    assert result.exit_code == 0
    assert fake.requests[0].url.params == httpx.QueryParams(
        {"prefix": "fVZ", "since": "1796281200.0", "until": "1796282600.5"}
    )
    assert result.stdout.splitlines()[-1] == "1 session"


def test_sessions_since_takes_a_zone(fake: FakeAdmin) -> None:
    assert run(fake, "sessions", "--since", "2026-12-03T08:00:00+01:00").exit_code == 0
    assert fake.requests[0].url.params["since"] == "1796281200.0"


def test_a_time_that_is_neither_form_is_a_usage_error(fake: FakeAdmin) -> None:
    result = run(fake, "sessions", "--since", "yesterday")
    assert result.exit_code == 2
    assert "'yesterday' is neither epoch seconds nor an ISO 8601 time" in result.stderr
    assert fake.requests == []


def test_no_sessions_says_so() -> None:
    empty = FakeAdmin()
    empty.sessions.clear()
    result = run(empty, "sessions")
    assert (result.exit_code, result.stdout) == (0, "no sessions\n")


def test_a_narrow_terminal_never_shortens_a_session_id(fake: FakeAdmin) -> None:
    result = run(fake, "sessions", env={"COLUMNS": "60"})
    assert result.exit_code == 0
    assert SESSION in result.stdout
    assert OTHER in result.stdout


# -- inspect-session


def test_inspect_session_shows_state_login_and_history(fake: FakeAdmin) -> None:
    result = run(fake, "inspect-session", SESSION)
    assert result.exit_code == 0, result.output
    assert result.stdout == lines(f"""
Session {SESSION}
created    2026-12-03 07:22:08 UTC
last seen  2026-12-03 07:23:08 UTC
expires    2026-12-03 08:23:08 UTC
version    3
login      yes

State
Key        Value   Updated (UTC)
──────────────────────────────────────
username   "ada"   2026-12-03 07:22:38

History (3 requests kept)
#   Time (UTC)            Request                 Status   Source
─────────────────────────────────────────────────────────────────
1   2026-12-03 07:22:08   GET /products?limit=1      200   store
2   2026-12-03 07:22:38   POST /login                200   rule
3   2026-12-03 07:23:08   POST /cart/items           201   store
""")
    assert fake.requests[0].url.path == f"/__mockmind/sessions/{SESSION}"


def test_inspect_session_json_is_the_servers_session(fake: FakeAdmin) -> None:
    result = run(fake, "inspect-session", SESSION, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == fake_admin.detail()


def test_inspect_session_at_a_step_shows_that_world(fake: FakeAdmin) -> None:
    result = run(fake, "inspect-session", SESSION, "--at", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout == lines(f"""
Session {SESSION} after step 3

State
Key        Value
────────────────
username   "ada"

Entities
Collection   Id                       Value
───────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
products     product_88b5659d90c1     {{"id": "product_88b5659d90c1", "name": "Enamel mug", "price": 12.5}}
cart_items   cart_item_0256551118b2   {{"id": "cart_item_0256551118b2", "product_id": "product_88b5659d90c1", "quantity": 2}}
""")
    assert fake.requests[0].url.path == f"/__mockmind/sessions/{SESSION}/at/3"


def test_inspect_session_at_step_zero_is_before_the_first_request(fake: FakeAdmin) -> None:
    result = run(fake, "inspect-session", SESSION, "--at", "0", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == fake_admin.world(0)
    assert "State\n(empty)\n" in run(fake, "inspect-session", SESSION, "--at", "0").stdout


def test_a_step_out_of_reach_is_not_found(fake: FakeAdmin) -> None:
    result = run(fake, "inspect-session", SESSION, "--at", "9")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "error: 404 Not Found: step 9 is out of reach: the journal holds steps 1 to 3\n"
    )


def test_an_unknown_session_is_not_found(fake: FakeAdmin) -> None:
    result = run(fake, "inspect-session", "nope")
    assert result.exit_code == 3
    assert result.stderr == "error: 404 Not Found: no live session 'nope'\n"


def test_a_negative_step_is_a_usage_error(fake: FakeAdmin) -> None:
    result = run(fake, "inspect-session", SESSION, "--at", "-1")
    assert result.exit_code == 2
    assert fake.requests == []


def test_an_id_is_one_path_segment_whatever_it_holds(fake: FakeAdmin) -> None:
    assert run(fake, "inspect-session", "../stats").exit_code == 3
    assert fake.requests[0].url.raw_path == b"/__mockmind/sessions/..%2Fstats"


def test_values_from_the_server_are_printed_as_text_not_as_markup(fake: FakeAdmin) -> None:
    marked = fake_admin.detail()
    marked["history"][0]["path"] = "/[bold]x[/bold]"
    marked["state"] = {"[red]key": {"value": "[/]", "updated_at": fake_admin.NOW}}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=marked)

    result = run(httpx.MockTransport(answer), "inspect-session", SESSION)
    assert result.exit_code == 0, result.output
    assert "GET /[bold]x[/bold]?limit=1" in result.stdout
    assert '[red]key   "[/]"   2026-12-03 07:23:08' in result.stdout


# -- reset-session, fork-session, delete-session


def test_reset_session_to_a_step(fake: FakeAdmin) -> None:
    result = run(fake, "reset-session", SESSION, "--to", "2")
    assert (result.exit_code, result.stdout) == (
        0,
        f"session {SESSION} reset to step 2 (2 requests)\n",
    )
    (request,) = fake.requests
    assert (request.method, request.url.path) == ("POST", f"/__mockmind/sessions/{SESSION}/reset")
    assert sent_json(request) == {"to": 2}
    assert request.headers["content-type"] == "application/json"


def test_reset_session_without_a_step_empties_it(fake: FakeAdmin) -> None:
    result = run(fake, "reset-session", SESSION)
    assert result.stdout == f"session {SESSION} emptied (0 requests)\n"
    assert sent_json(fake.requests[0]) == {"to": None}


def test_reset_session_json_is_the_session_summary(fake: FakeAdmin) -> None:
    result = run(fake, "reset-session", SESSION, "--to", "1", "--json")
    assert json.loads(result.stdout) == {
        **fake_admin.summary(SESSION, 1, authenticated=True, age=0)
    }


def test_fork_session_prints_the_new_id_alone(fake: FakeAdmin) -> None:
    result = run(fake, "fork-session", SESSION, "--at", "2")
    assert (result.exit_code, result.stdout, result.stderr) == (0, FORKED + "\n", "")
    (request,) = fake.requests
    assert (request.method, request.url.path) == ("POST", f"/__mockmind/sessions/{SESSION}/fork")
    assert sent_json(request) == {"at": 2, "id": None}
    assert fake.sessions[FORKED]["requests"] == 2


def test_fork_session_latest_with_a_chosen_id_as_json(fake: FakeAdmin) -> None:
    chosen = "my-fork-of-the-cart"
    result = run(fake, "fork-session", SESSION, "--new-id", chosen, "--json")
    assert result.exit_code == 0
    assert sent_json(fake.requests[0]) == {"at": None, "id": chosen}
    assert json.loads(result.stdout) == fake.sessions[chosen]
    assert json.loads(result.stdout)["id"] == chosen


def test_fork_of_an_unknown_session_is_not_found(fake: FakeAdmin) -> None:
    result = run(fake, "fork-session", "nope")
    assert (result.exit_code, result.stdout) == (3, "")


def test_delete_session(fake: FakeAdmin) -> None:
    result = run(fake, "delete-session", OTHER)
    assert (result.exit_code, result.stdout) == (0, f"deleted session {OTHER}\n")
    assert (fake.requests[0].method, fake.requests[0].url.path) == (
        "DELETE",
        f"/__mockmind/sessions/{OTHER}",
    )
    assert OTHER not in fake.sessions
    again = run(fake, "delete-session", OTHER)
    assert again.exit_code == 3
    assert again.stderr == f"error: 404 Not Found: no session can have the id {OTHER!r}\n"


def test_delete_session_json(fake: FakeAdmin) -> None:
    result = run(fake, "delete-session", OTHER, "--json")
    assert json.loads(result.stdout) == {"id": OTHER, "deleted": True}


# -- export-session, import-session


def _exported_bytes() -> bytes:
    return json.dumps(fake_admin.fixture(), indent=1).encode()


def test_export_session_writes_the_servers_bytes_to_stdout(fake: FakeAdmin) -> None:
    result = run(fake, "export-session", SESSION)
    assert result.exit_code == 0
    assert result.stdout_bytes == _exported_bytes()
    assert fake.requests[0].url.path == f"/__mockmind/sessions/{SESSION}/export"


def test_export_session_to_a_file(fake: FakeAdmin, tmp_path: Path) -> None:
    target = tmp_path / "cart.json"
    result = run(fake, "export-session", SESSION, "-o", str(target))
    assert result.exit_code == 0
    assert target.read_bytes() == _exported_bytes()
    digest = fake_admin.fixture()["digest"]
    assert result.stdout == f"wrote session {SESSION} (3 steps, {digest}) to {target}\n"
    as_json = run(fake, "export-session", SESSION, "--output", str(target), "--json")
    assert json.loads(as_json.stdout) == {
        "session_id": SESSION,
        "file": str(target),
        "digest": digest,
        "bytes": len(_exported_bytes()),
        "steps": 3,
    }


def test_a_failed_export_writes_no_file(fake: FakeAdmin, tmp_path: Path) -> None:
    target = tmp_path / "none.json"
    result = run(fake, "export-session", "nope", "-o", str(target))
    assert result.exit_code == 3
    assert not target.exists()


def test_an_export_to_a_folder_that_does_not_exist_is_a_usage_error(
    fake: FakeAdmin, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "cart.json"
    result = run(fake, "export-session", SESSION, "-o", str(target))
    assert result.exit_code == 2
    assert f"Invalid value for '-o' / '--output': {target.parent} is not a folder" in result.stderr
    assert fake.requests == []


def test_an_export_that_is_not_a_fixture_is_unexpected(tmp_path: Path) -> None:
    def not_a_fixture(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"format": "mockmind-session/1"})

    target = tmp_path / "f.json"
    result = run(httpx.MockTransport(not_a_fixture), "export-session", SESSION, "-o", str(target))
    assert result.exit_code == 6
    assert result.stderr == (
        "error: http://127.0.0.1:3000 answered, but not as the admin API does: "
        "session: Field required\n"
    )
    assert not target.exists()


def test_import_session_prints_the_new_id(fake: FakeAdmin, tmp_path: Path) -> None:
    source = tmp_path / "cart.json"
    source.write_bytes(_exported_bytes())
    result = run(fake, "import-session", str(source))
    assert (result.exit_code, result.stdout, result.stderr) == (0, IMPORTED + "\n", "")
    (request,) = fake.requests
    assert (request.method, request.url.path) == ("POST", "/__mockmind/sessions/import")
    # Sent as the file holds it: the fixture's digest covers it.
    assert request.content == _exported_bytes()
    assert request.headers["content-length"] == str(len(_exported_bytes()))


def test_importing_a_fixture_again_gives_the_same_id(fake: FakeAdmin, tmp_path: Path) -> None:
    source = tmp_path / "cart.json"
    source.write_bytes(_exported_bytes())
    run(fake, "import-session", str(source))
    again = run(fake, "import-session", str(source))
    assert (again.exit_code, again.stdout) == (0, IMPORTED + "\n")
    assert again.stderr == f"already imported (same digest): session {IMPORTED}\n"
    as_json = run(fake, "import-session", str(source), "--json")
    assert json.loads(as_json.stdout) == {
        "id": IMPORTED,
        "digest": fake_admin.fixture()["digest"],
        "imported": False,
    }


def test_import_session_reads_stdin(fake: FakeAdmin) -> None:
    result = run(fake, "import-session", "-", "--json", stdin=_exported_bytes())
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "id": IMPORTED,
        "digest": fake_admin.fixture()["digest"],
        "imported": True,
    }


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "is not JSON: Expecting property name enclosed in double quotes"),
        (b'{"a": "\xff"}', "is not JSON: 'utf-8' codec can't decode byte 0xff"),
        (b"[1, 2]", "is not a fixture: a JSON object is"),
    ],
)
def test_a_file_that_is_not_a_fixture_is_a_usage_error(
    fake: FakeAdmin, tmp_path: Path, content: bytes, problem: str
) -> None:
    source = tmp_path / "bad.json"
    source.write_bytes(content)
    result = run(fake, "import-session", str(source))
    assert result.exit_code == 2
    assert f"Invalid value for FILE: {source} {problem}" in result.stderr
    assert fake.requests == []


def test_a_fixture_the_server_refuses_exits_1(fake: FakeAdmin, tmp_path: Path) -> None:
    source = tmp_path / "other.json"
    source.write_text('{"format": "something-else/2"}')
    result = run(fake, "import-session", str(source))
    assert result.exit_code == 1
    assert result.stderr == "error: 400 Bad Request: not a mockmind-session/1 fixture\n"


def test_a_missing_file_is_a_usage_error(fake: FakeAdmin, tmp_path: Path) -> None:
    result = run(fake, "import-session", str(tmp_path / "absent.json"))
    assert result.exit_code == 2
    assert fake.requests == []


def test_export_then_import_round_trips_through_a_pipe(fake: FakeAdmin) -> None:
    exported = run(fake, "export-session", SESSION)
    imported = run(fake, "import-session", "-", stdin=exported.stdout_bytes)
    assert imported.stdout == IMPORTED + "\n"
    assert fake.requests[-1].content == exported.stdout_bytes


# -- replay


def test_replay_with_every_step_the_same_exits_0(fake: FakeAdmin) -> None:
    result = run(fake, "replay", SESSION)
    assert result.exit_code == 0, result.output
    assert result.stdout == lines(f"""
Replay of session {SESSION} (scratch session scratch0scratch0scratch0scratch0scratch0scr)
Step   Request                 Recorded   Now   Result
──────────────────────────────────────────────────────
   1   GET /products?limit=1        200   200   same
   2   POST /login                  200   200   same
   3   POST /cart/items             201   201   same

3 steps: 3 same, 0 differ
""")
    (request,) = fake.requests
    assert (request.method, request.url.path) == (
        "POST",
        f"/__mockmind/sessions/{SESSION}/replay",
    )
    assert sent_json(request) == {}


def test_replay_with_a_step_that_differs_shows_where_and_exits_1(fake: FakeAdmin) -> None:
    fake.differ = True
    result = run(fake, "replay", SESSION, "--ignore", "$.id", "--ignore", "$..created_at")
    assert result.exit_code == 1
    assert result.stdout == lines(f"""
Replay of session {SESSION} (scratch session scratch0scratch0scratch0scratch0scratch0scr)
Step   Request                 Recorded   Now   Result
───────────────────────────────────────────────────────
   1   GET /products?limit=1        200   200   same
   2   POST /login                  200   200   same
   3   POST /cart/items             201   409   differs

Differences
Step   Path              Recorded   Now
────────────────────────────────────────
   3   $.status          201        409
   3   $.body.quantity   2          null

3 steps: 2 same, 1 differ
""")
    assert result.stderr == ""
    assert sent_json(fake.requests[0]) == {"ignore": ["$.id", "$..created_at"]}


def test_replay_json_is_the_report_and_keeps_the_exit_code(fake: FakeAdmin) -> None:
    fake.differ = True
    result = run(fake, "replay", SESSION, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == fake_admin.replay_report(differ=True)
    fake.differ = False
    assert run(fake, "replay", SESSION, "--json").exit_code == 0


def test_replay_keep_asks_to_keep_the_scratch_session() -> None:
    kept = {**fake_admin.replay_report(differ=False), "kept": True}
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=kept)

    result = run(httpx.MockTransport(answer), "replay", SESSION, "--keep", "--ignore", "$.id")
    assert result.exit_code == 0
    assert sent_json(seen[0]) == {"ignore": ["$.id"], "keep": True}
    scratch = kept["scratch_session_id"]
    assert result.stdout.splitlines()[0] == (
        f"Replay of session {SESSION} (scratch session {scratch}, kept)"
    )


def test_replay_of_an_unknown_session_is_not_found(fake: FakeAdmin) -> None:
    assert run(fake, "replay", "nope").exit_code == 3


def test_replay_shows_no_progress_bar_off_a_terminal(fake: FakeAdmin) -> None:
    assert run(fake, "replay", SESSION).stderr == ""


# -- stats


def test_stats_hour_by_hour_with_totals(fake: FakeAdmin) -> None:
    result = run(fake, "stats", "--hours", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout == lines("""
Hour (UTC)         Requests   Cache hits   Hit rate   LLM calls   Tokens   Cost (USD)   Errors by source
─────────────────────────────────────────────────────────────────────────────────────────────────────────────
2026-12-03 06:00          0            0          -           0        0       0.0000   -
2026-12-03 07:00         12            3      25.0%           4     1800       0.0048   llm: 1, validation: 2
─────────────────────────────────────────────────────────────────────────────────────────────────────────────
total                    12            3      25.0%           4     1800       0.0048   llm: 1, validation: 2
""")
    (request,) = fake.requests
    assert (request.url.path, request.url.params) == (
        "/__mockmind/stats",
        httpx.QueryParams({"hours": "2"}),
    )


def test_stats_show_todays_quotas_under_the_hours(fake: FakeAdmin) -> None:
    fake.quotas = fake_admin.quotas()
    result = run(fake, "stats", "--hours", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        lines("""
total                    12            3      25.0%           4     1800       0.0048   llm: 1, validation: 2

Quotas on 2026-12-03 (UTC)
Quota                   Used   Limit   Past it
────────────────────────────────────────────────────────
requests per day          10      10   429 (4 refused)
LLM budget per day   $0.0048   $0.50   offline generator
""")
    ), result.stdout
    assert json.loads(run(fake, "stats", "--json").stdout)["quotas"] == fake_admin.quotas()


def test_stats_json_is_the_servers(fake: FakeAdmin) -> None:
    result = run(fake, "stats", "--json")
    assert json.loads(result.stdout) == fake_admin.stats()
    assert fake.requests[0].url.query == b""


# -- where the server is, and its token


def test_the_url_comes_from_the_option_then_the_environment(fake: FakeAdmin) -> None:
    run(fake, "stats")
    run(fake, "stats", env={"MOCKMIND_URL": "https://mock.example.com"})
    run(fake, "stats", "--url", "http://10.0.0.5:8080", env={"MOCKMIND_URL": "https://x.test"})
    assert [str(r.url) for r in fake.requests] == [
        "http://127.0.0.1:3000/__mockmind/stats",
        "https://mock.example.com/__mockmind/stats",
        "http://10.0.0.5:8080/__mockmind/stats",
    ]


def test_a_deployed_stage_path_is_kept_and_the_admin_prefix_not_doubled(fake: FakeAdmin) -> None:
    run(fake, "stats", "--url", "https://abc.execute-api.eu-west-1.amazonaws.com/prod/")
    run(fake, "stats", "--url", "http://127.0.0.1:3000/__mockmind/")
    assert [r.url.path for r in fake.requests] == ["/prod/__mockmind/stats", "/__mockmind/stats"]


@pytest.mark.parametrize(
    "url", ["127.0.0.1:3000", "ftp://mock.test", "http://", "https:///path", "http://[::1"]
)
def test_a_url_that_is_not_http_is_a_usage_error(fake: FakeAdmin, url: str) -> None:
    result = run(fake, "sessions", "--url", url)
    assert result.exit_code == 2
    assert f"{url!r} is not an http:// or https:// URL" in result.stderr
    assert fake.requests == []


def test_the_token_is_sent_from_the_environment() -> None:
    guarded = FakeAdmin(token=TOKEN)
    result = run(guarded, "sessions", "--json", env={"MOCKMIND_ADMIN_TOKEN": TOKEN})
    assert result.exit_code == 0
    assert guarded.requests[0].headers["x-mockmind-admin-token"] == TOKEN


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_refused_token_exits_4(token: str | None) -> None:
    guarded = FakeAdmin(token=TOKEN)
    env = {"MOCKMIND_ADMIN_TOKEN": token} if token else {}
    result = run(guarded, "inspect-session", SESSION, env=env)
    assert (result.exit_code, result.stdout) == (4, "")
    assert result.stderr == "error: 401 Unauthorized: the admin token sent is not this server's\n"
    sent = guarded.requests[0].headers
    assert sent.get("x-mockmind-admin-token") == token
    assert "authorization" not in sent


def test_a_closed_admin_area_exits_4() -> None:
    def closed(request: httpx.Request) -> httpx.Response:
        detail = "the admin routes are closed: no admin token is configured"
        return fake_admin.problem(403, "Forbidden", detail)

    result = run(httpx.MockTransport(closed), "sessions")
    assert result.exit_code == 4
    assert result.stderr == (
        "error: 403 Forbidden: the admin routes are closed: no admin token is configured\n"
    )


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_no_answer_exits_5(failure: httpx.TransportError) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise failure

    result = run(httpx.MockTransport(down), "sessions")
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"error: no answer from http://127.0.0.1:3000 ({type(failure).__name__}: {failure})\n"
    )


# -- answers that are not the admin API's


def _answering(status: int, content: bytes, content_type: str) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": content_type})

    return httpx.MockTransport(answer)


def test_a_success_that_is_not_json_exits_6() -> None:
    html = _answering(200, b"<html>a login page</html>", "text/html")
    result = run(html, "inspect-session", SESSION)
    assert result.exit_code == 6
    assert result.stderr == (
        "error: http://127.0.0.1:3000 answered 200 with something that is not JSON: "
        "<html>a login page</html>\n"
    )


def test_a_success_of_another_shape_exits_6_naming_the_member() -> None:
    page = {"sessions": [{"id": SESSION, "requests": "three"}], "next_cursor": None}
    result = run(_answering(200, json.dumps(page).encode(), "application/json"), "sessions")
    assert result.exit_code == 6
    assert result.stderr == (
        "error: http://127.0.0.1:3000 answered, but not as the admin API does: "
        "sessions.0.created_at: Field required\n"
    )


def test_members_the_cli_does_not_know_are_kept_in_its_json(fake: FakeAdmin) -> None:
    page = {
        "sessions": [{**fake.sessions[SESSION], "tags": ["smoke"]}],
        "next_cursor": None,
        "total": 1,
    }
    result = run(
        _answering(200, json.dumps(page).encode(), "application/json"), "sessions", "--json"
    )
    assert json.loads(result.stdout) == page


def test_a_server_without_the_route_exits_6() -> None:
    # What a mockmind older than the command answers (app/admin.py), and another server's 404.
    older = FakeAdmin()
    older.routes = [route for route in older.routes if route[2] != older._replay]
    result = run(older, "replay", SESSION)
    assert result.exit_code == 6
    assert result.stderr == (
        f"error: the server at http://127.0.0.1:3000 has no route POST "
        f"/__mockmind/sessions/{SESSION}/replay (404 Not Found): a mockmind older than this "
        "command, or another server\n"
    )
    other = run(_answering(404, b"<h1>Not Found</h1>", "text/html"), "inspect-session", SESSION)
    assert other.exit_code == 6


def test_a_method_the_route_does_not_have_exits_6() -> None:
    not_allowed = fake_admin.problem(405, "Method Not Allowed", "POST is not defined")
    result = run(
        httpx.MockTransport(lambda request: not_allowed), "import-session", "-", stdin=b"{}"
    )
    assert result.exit_code == 6
    assert "has no route POST /__mockmind/sessions/import (405 Method Not Allowed)" in result.stderr


@pytest.mark.parametrize(
    ("status", "content", "content_type", "said"),
    [
        (
            500,
            b"Internal Server Error",
            "text/plain",
            "500 Internal Server Error: Internal Server Error",
        ),
        (
            502,
            b"<html>Bad gateway</html>",
            "text/html",
            "502 Bad Gateway: <html>Bad gateway</html>",
        ),
        (503, b"", "text/plain", "503 Service Unavailable: (empty)"),
        (
            409,
            b'{"status": 409, "title": "Conflict", "detail": "step 1 was dropped"}',
            "application/problem+json",
            "409 Conflict: step 1 was dropped",
        ),
        (
            400,
            b'{"status": 400, "title": "Bad Request"}',
            "application/problem+json",
            "400 Bad Request",
        ),
    ],
)
def test_any_other_error_status_exits_1(
    status: int, content: bytes, content_type: str, said: str
) -> None:
    result = run(_answering(status, content, content_type), "inspect-session", SESSION, "--at", "1")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {said}\n"


# -- members some servers add to the contract's answers


def test_replay_shows_omitted_differences_and_notes_when_the_server_gives_them() -> None:
    report = fake_admin.replay_report(differ=True)
    report["kept"] = False
    report["ignored"] = ["$..created_at"]
    for step in report["steps"]:
        step["omitted_differences"] = 0
        step["notes"] = []
    report["steps"][2]["omitted_differences"] = 4
    report["steps"][1]["notes"] = ["sent the recorded password, which the journal masked"]
    served = json.dumps(report).encode()
    result = run(_answering(200, served, "application/json"), "replay", SESSION)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        f"Replay of session {SESSION} (scratch session {report['scratch_session_id']})",
        "ignored: $..created_at",
    ]
    assert result.stdout.split("Differences\n", 1)[1] == lines("""
Step   Path              Recorded   Now
────────────────────────────────────────
   3   $.status          201        409
   3   $.body.quantity   2          null
   3   … 4 more

Notes
Step   Note
───────────────────────────────────────────────────────────
   2   sent the recorded password, which the journal masked

3 steps: 2 same, 1 differ
""")
    as_json = run(_answering(200, served, "application/json"), "replay", SESSION, "--json")
    assert json.loads(as_json.stdout) == report


def test_inspect_session_shows_the_request_count_when_the_server_gives_it() -> None:
    session = {**fake_admin.detail(), "requests": 3}
    served = json.dumps(session).encode()
    result = run(_answering(200, served, "application/json"), "inspect-session", SESSION)
    assert "version    3\nrequests   3\nlogin      yes\n" in result.stdout
    as_json = run(_answering(200, served, "application/json"), "inspect-session", SESSION, "--json")
    assert json.loads(as_json.stdout) == session


def test_no_answer_without_words_says_so() -> None:
    def silent(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("")

    result = run(httpx.MockTransport(silent), "stats")
    assert result.exit_code == 5
    assert result.stderr == "error: no answer from http://127.0.0.1:3000 (ReadError: no detail)\n"


# -- prompts


def test_prompts_prints_each_variant_and_the_verdict(fake: FakeAdmin) -> None:
    result = run(fake, "prompts")
    assert result.exit_code == 0, result.output
    assert result.stdout == lines("""
Variant   Weight   Answers   Calls   Valid 1st try    Rate   95% interval   Repairs   Fallbacks   p50 ms   p95 ms   Tokens in   Tokens out   Cost (USD)
───────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
control        1        20      27              11   55.0%    34.2%-74.2%         7           2    412.3   1830.5        2400          600     0.000720
strict         1        25      26              24   96.0%    80.5%-99.3%         1           0    412.3   1830.5        3000          750     0.000900
terse        0.5         0       0               0       -              -         0           0        -        -           0            0     0.000000
verdict: strict is better: valid at first try strict 96% (80%-99%) vs control 55% (34%-74%) (p = 0.00101, 25 and 20 answers)
""")
    assert result.stderr == ""
    (request,) = fake.requests
    assert (request.method, request.url.path, request.url.query) == (
        "GET",
        "/__mockmind/prompts",
        b"",
    )


def test_prompts_json_is_the_servers(fake: FakeAdmin) -> None:
    result = run(fake, "prompts", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == fake_admin.prompts()


def test_prompts_without_variants_prints_the_verdict_alone() -> None:
    none = {"variants": [], "verdict": "no prompt variants configured"}
    result = run(_answering(200, json.dumps(none).encode(), "application/json"), "prompts")
    assert (result.exit_code, result.stdout) == (0, "verdict: no prompt variants configured\n")


def test_prompts_of_a_server_without_the_route_exits_6() -> None:
    older = FakeAdmin()
    older.routes = [route for route in older.routes if route[2] != older._prompts]
    result = run(older, "prompts")
    assert (result.exit_code, result.stdout) == (6, "")
    assert "has no route GET /__mockmind/prompts (404 Not Found)" in result.stderr


def test_prompts_with_an_interval_of_another_shape_exits_6(fake: FakeAdmin) -> None:
    answer = fake_admin.prompts()
    answer["variants"][0]["valid_first_try_interval"] = [0.1]
    served = _answering(200, json.dumps(answer).encode(), "application/json")
    result = run(served, "prompts")
    assert result.exit_code == 6
    assert "variants.0.valid_first_try_interval" in result.stderr


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        # Exact ties round up, as the web UI's toFixed does (Python's format gives 6.2, 412.2).
        (6.25, 1, "6.3"),
        (0.0625 * 100, 1, "6.3"),
        (412.25, 1, "412.3"),
        # 2.675 is a little under it in binary: down, in both.
        (2.675, 2, "2.67"),
        (0.0, 6, "0.000000"),
        (100.0, 1, "100.0"),
    ],
)
def test_numbers_are_shown_as_the_web_ui_shows_them(value: float, places: int, shown: str) -> None:
    assert output.fixed(value, places) == shown
