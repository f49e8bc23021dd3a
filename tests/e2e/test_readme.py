"""The README's curl session, replayed against the example shop as `make run` serves it.

The commands and their printed output are read from the README itself (the ``sh`` block of "A
session with the example shop"), so the README cannot drift from what the server does:

- each ``$ curl …`` line (with ``\\`` continuations) is run over HTTP with the flags it uses
  (``-s -i -X -H -d -b -c``; a cookie jar shared by ``-b jar``/``-c jar``), and its pipes
  (``| grep -iE '…'``, ``| head -N``) are applied to what curl would print;
- printed status lines and headers must match the answer's (a word ending in ``…`` stands for
  any text: ``mockforge_session=65xnAEzL…`` is a session id);
- printed JSON must have the answer's shape: the same keys and types, strings equal. In the
  printed JSON ``"…"`` is any string (and so is any string holding ``…``), ``{…}`` any object,
  ``[…]`` any list, and a ``…`` member leaves an object open to more keys. Numbers are
  compared by type (counts, prices made per session), timestamps by their form, and ids the
  server makes per session (``order_16225152d683``) by their prefix: the README's id then
  stands for the server's in the commands and output that follow.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES, ROOT

README = ROOT / "README.md"
SECTION = "## A session with the example shop"
ELLIPSIS = "\u2026"
_OPEN = "\u2026open"  # the key marking an object whose members the README elides
_ID = re.compile(r"^([A-Za-z]+(?:_[A-Za-z]+)*_)[0-9a-f]{8,}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@dataclass
class Step:
    command: str
    printed: list[str] = field(default_factory=list)


def readme_steps(text: str) -> list[Step]:
    """The commands of the README's session block and what each prints."""
    section = text.split(SECTION, 1)[1]
    block = section.split("```sh\n", 1)[1].split("\n```", 1)[0]
    steps: list[Step] = []
    continued = False
    for line in block.split("\n"):
        if continued:
            steps[-1].command += " " + line.strip().removesuffix("\\").strip()
            continued = line.rstrip().endswith("\\")
        elif line.startswith("$ "):
            steps.append(Step(line[2:].strip().removesuffix("\\").strip()))
            continued = line.rstrip().endswith("\\")
        elif line.startswith("#") or not line.strip():
            if steps:
                steps[-1].printed.append("")  # ends the output shown
        elif steps:
            steps[-1].printed.append(line)
    for step in steps:
        ended = step.printed.index("") if "" in step.printed else len(step.printed)
        step.printed = step.printed[:ended]
    return steps


# --------------------------------------------------------------------------- running curl


@dataclass
class Curl:
    method: str | None = None
    url: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    data: str | None = None
    include: bool = False
    send_jar: bool = False
    keep_jar: bool = False


def parse_curl(words: list[str]) -> Curl:
    assert words[0] == "curl", f"only curl commands are replayed: {words}"
    curl = Curl()
    rest = iter(words[1:])
    for word in rest:
        if word.startswith("-") and not word.startswith("--") and len(word) > 2:
            flags = list(word[1:])
        else:
            flags = [word.lstrip("-")] if word.startswith("-") else []
        if not flags:
            assert not curl.url, f"two URLs in one curl command: {words}"
            curl.url = word
            continue
        for flag in flags:
            if flag == "s":
                continue
            if flag == "i":
                curl.include = True
            elif flag == "X":
                curl.method = next(rest)
            elif flag == "H":
                name, _, value = next(rest).partition(":")
                curl.headers.append((name.strip(), value.strip()))
            elif flag == "d":
                curl.data = next(rest)
            elif flag in ("b", "c"):
                assert next(rest) == "jar", "the session keeps its cookies in one jar"
                curl.send_jar = curl.send_jar or flag == "b"
                curl.keep_jar = curl.keep_jar or flag == "c"
            else:
                raise AssertionError(f"curl flag -{flag} is not replayed; add it to this test")
    return curl


def run_curl(curl: Curl, jar: dict[str, str]) -> tuple[httpx.Response, list[str]]:
    """The answer, and the lines curl prints for it."""
    headers = list(curl.headers)
    if curl.send_jar and jar:
        headers.append(("cookie", "; ".join(f"{k}={v}" for k, v in jar.items())))
    method = curl.method or ("POST" if curl.data is not None else "GET")
    if curl.data is not None and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("content-type", "application/x-www-form-urlencoded"))
    content = curl.data.encode() if curl.data is not None else None
    response = httpx.request(method, curl.url, headers=headers, content=content, timeout=30)
    if curl.keep_jar:
        for cookie in response.headers.get_list("set-cookie"):
            name, _, rest = cookie.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    lines: list[str] = []
    if curl.include:
        lines.append(f"HTTP/1.1 {response.status_code} {response.reason_phrase}")
        lines += [f"{k.decode()}: {v.decode()}" for k, v in response.headers.raw]
        lines.append("")
    lines += response.text.split("\n")
    return response, lines


def piped(lines: list[str], stage: list[str]) -> list[str]:
    if stage[0] == "grep":
        flags = "".join(w[1:] for w in stage[1:-1] if w.startswith("-"))
        assert set(flags) <= {"i", "E"}, f"grep -{flags} is not replayed"
        pattern = re.compile(stage[-1], re.IGNORECASE if "i" in flags else 0)
        return [line for line in lines if pattern.search(line)]
    if stage[0] == "head":
        count = int(stage[1].lstrip("-n")) if len(stage) > 1 else 10
        return lines[:count]
    raise AssertionError(f"pipe to {stage[0]} is not replayed")


# --------------------------------------------------------------------------- comparing


class Session:
    """The replay's state: the cookie jar and the README's ids for the server's."""

    def __init__(self) -> None:
        self.jar: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def substitute(self, text: str) -> str:
        for readme_id, served in self.ids.items():
            text = text.replace(readme_id, served)
        return text

    def same_id(self, printed: str, served: str) -> bool:
        shown, made = _ID.match(printed), _ID.match(served)
        if shown is None or made is None or shown.group(1) != made.group(1):
            return False
        self.ids.setdefault(printed, served)
        return self.ids[printed] == served


def printed_json(lines: list[str]) -> Any:
    """The README's printed JSON, its elisions made into markers."""
    text = "".join(line.strip() for line in lines)
    text = re.sub(r"\{\s*…\s*\}", f'"{ELLIPSIS}object"', text)
    text = re.sub(r"\[\s*…\s*\]", f'"{ELLIPSIS}list"', text)
    text = re.sub(r",\s*…\s*(?=[,}])", f',"{_OPEN}":true', text)
    text = re.sub(r"\{\s*…\s*,", '{"' + _OPEN + '":true,', text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"the README prints JSON this test cannot read: {text}") from exc


def assert_shape(printed: Any, served: Any, session: Session, where: str = "body") -> None:
    if isinstance(printed, str) and ELLIPSIS in printed:
        if printed == f"{ELLIPSIS}object":
            assert isinstance(served, dict), f"{where}: {served!r} is not an object"
        elif printed == f"{ELLIPSIS}list":
            assert isinstance(served, list), f"{where}: {served!r} is not a list"
        else:
            assert isinstance(served, str), f"{where}: {served!r} is not a string"
        return
    if isinstance(printed, dict):
        assert isinstance(served, dict), f"{where}: {served!r} is not an object"
        shown = {k: v for k, v in printed.items() if k != _OPEN}
        if _OPEN not in printed:
            assert sorted(served) == sorted(shown), f"{where}: keys {sorted(served)}"
        for key, value in shown.items():
            assert key in served, f"{where}: no {key!r} in {sorted(served)}"
            assert_shape(value, served[key], session, f"{where}.{key}")
        return
    if isinstance(printed, list):
        assert isinstance(served, list), f"{where}: {served!r} is not a list"
        assert len(served) == len(printed), f"{where}: {len(served)} items, not {len(printed)}"
        for index, (one, other) in enumerate(zip(printed, served, strict=True)):
            assert_shape(one, other, session, f"{where}[{index}]")
        return
    if isinstance(printed, bool) or printed is None:
        assert served is printed, f"{where}: {served!r}, not {printed!r}"
        return
    if isinstance(printed, int | float):
        assert isinstance(served, int | float), f"{where}: {served!r} is not a number"
        assert not isinstance(served, bool), f"{where}: {served!r} is not a number"
        return
    assert isinstance(served, str), f"{where}: {served!r} is not a string"
    if _TIMESTAMP.match(printed):
        assert _TIMESTAMP.match(served), f"{where}: {served!r} is not a timestamp"
        return
    expected = session.substitute(printed)
    if served != expected:
        assert session.same_id(printed, served), f"{where}: {served!r}, not {expected!r}"


def _line_pattern(line: str) -> re.Pattern[str]:
    name, sep, value = line.partition(": ")
    # A word ending in … is an example of a value that differs each time (a session id).
    parts = [re.escape(part) for part in re.split(r"[^\s;=,]*…", value)]
    name_part = re.escape(name) + re.escape(sep)
    return re.compile(name_part + "[^;]*".join(parts) + "$", re.IGNORECASE if sep else 0)


def assert_lines(printed: list[str], served: list[str], session: Session) -> None:
    """Printed status and header lines, each matching one served line, none left over."""
    left = [line for line in served if line]
    for line in printed:
        pattern = _line_pattern(session.substitute(line))
        match = next((s for s in left if pattern.match(s)), None)
        assert match is not None, f"{line!r} is not in what curl prints: {left}"
        left.remove(match)
    assert not left, f"curl also prints {left}, which the README does not show"


# --------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def make_run_url() -> Iterator[str]:
    """The shop as `make run` serves it on a machine with no LLM key and no cloud."""
    if os.environ.get("MOCKMIND_URL"):
        pytest.skip("the README's session is `make run`'s, a local server")
    cleared = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OLLAMA_HOST")
    env = dict.fromkeys(cleared, "")
    env.update({k: "" for k in os.environ if k.startswith("MOCKMIND_")})
    process, url = start_server(EXAMPLES / "shop" / "mockmind.yaml", env)
    try:
        yield url
    finally:
        stop_server(process)


def test_the_readme_has_a_session_to_replay() -> None:
    steps = readme_steps(README.read_text())
    commands = [s.command for s in steps if s.command.startswith("curl")]
    assert len(commands) >= 10
    assert all(s.printed for s in steps if s.command.startswith("curl"))
    assert steps[0].command == "B=http://127.0.0.1:3000"


def test_the_readme_session_is_what_make_run_serves(make_run_url: str) -> None:
    session = Session()
    for step in readme_steps(README.read_text()):
        if step.command.startswith("B="):
            continue
        command = session.substitute(step.command).replace("$B", make_run_url)
        stages: list[list[str]] = [[]]
        for word in shlex.split(command):
            if word == "|":
                stages.append([])
            else:
                stages[-1].append(word)
        curl = parse_curl(stages[0])
        response, lines = run_curl(curl, session.jar)
        for stage in stages[1:]:
            lines = piped(lines, stage)
        where = f"`{step.command}`"
        if step.printed[0].startswith("HTTP/"):
            try:
                assert_lines(step.printed, lines, session)
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from exc
        else:
            assert not curl.include, f"{where}: prints a body only, without -i"
            assert len(stages) == 1, f"{where}: prints a body only, without pipes"
            try:
                assert_shape(printed_json(step.printed), response.json(), session)
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from exc
