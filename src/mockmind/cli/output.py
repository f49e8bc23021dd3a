"""What the admin commands print: rich tables for people, JSON for scripts (``--json``).

Tables go to stdout through a rich ``Console``. Every value from the server enters a table as
``Text``, never as markup: a path holding ``[red]`` is printed as it is. Times are UTC. Piped
output is not cut to 80 columns (rich's width off a terminal): lines are as long as the table
needs, unless ``COLUMNS`` says otherwise; a session id is never shortened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import click
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from mockmind.cli.admin_answers import (
    Counters,
    HistoryEntry,
    PromptExperiment,
    PromptVariantRow,
    Quotas,
    ReplayReport,
    SessionDetail,
    SessionPage,
    Stats,
    World,
)
from mockmind.domain.costs import format_usd

# Off a terminal, with no COLUMNS set: wide enough for any table this module makes.
_PIPED_WIDTH = 200
# A session id as the mock makes it (secrets.token_urlsafe(32)): the id column's least width.
_SESSION_ID_WIDTH = 43


def console(*, stderr: bool = False) -> Console:
    """A console made when a command runs (so it sees that run's stdout and environment)."""
    made = Console(stderr=stderr, highlight=False)
    if not made.is_terminal and "COLUMNS" not in os.environ:
        made = Console(stderr=stderr, highlight=False, width=_PIPED_WIDTH)
    return made


def show(renderable: RenderableType) -> None:
    """A table (or a group of them) on stdout. Off a terminal its lines lose the spaces rich
    pads them with, so that what a pipe or a file gets is plain text."""
    out = console()
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def print_json(value: Any) -> None:
    """One JSON document on stdout, as scripts read it (indented, UTF-8, no colour)."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def compact(value: Any) -> str:
    """A JSON value on one line, as a table cell shows it."""
    return json.dumps(value, ensure_ascii=False)


def session_page(page: SessionPage) -> RenderableType:
    table = _table(
        ("Session", {"no_wrap": True, "min_width": _SESSION_ID_WIDTH, "overflow": "fold"}),
        ("Requests", {"justify": "right"}),
        ("Login", {}),
        ("Last seen (UTC)", {}),
        ("Expires (UTC)", {}),
    )
    for item in page.sessions:
        table.add_row(
            *_cells(
                item.id,
                str(item.requests),
                _yes_no(item.authenticated),
                utc(item.last_seen),
                utc(item.expires_at),
            )
        )
    count = len(page.sessions)
    lines: list[RenderableType] = [table] if count else []
    lines.append(Text(f"{count} session{'' if count == 1 else 's'}" if count else "no sessions"))
    if page.next_cursor is not None:
        lines.append(Text(f"more: --cursor {page.next_cursor}"))
    return Group(*lines)


def session_detail(session: SessionDetail) -> RenderableType:
    facts = _facts(
        ("created", utc(session.created_at) + " UTC"),
        ("last seen", utc(session.last_seen) + " UTC"),
        ("expires", utc(session.expires_at) + " UTC"),
        ("version", str(session.version)),
        *([] if session.requests is None else [("requests", str(session.requests))]),
        ("login", _yes_no(session.authenticated)),
    )
    state = _table(("Key", {}), ("Value", {"overflow": "fold"}), ("Updated (UTC)", {}))
    for key, entry in session.state.items():
        state.add_row(*_cells(key, compact(entry.value), utc(entry.updated_at)))
    count = len(session.history)
    return Group(
        _heading(f"Session {session.id}"),
        facts,
        _section("State", state if session.state else Text("(empty)")),
        _section(
            f"History ({count} request{'' if count == 1 else 's'} kept)",
            _history(session.history) if count else Text("(none)"),
        ),
    )


def world(view: World) -> RenderableType:
    state = _table(("Key", {}), ("Value", {"overflow": "fold"}))
    for key, value in view.state.items():
        state.add_row(*_cells(key, compact(value)))
    entities = _table(("Collection", {}), ("Id", {}), ("Value", {"overflow": "fold"}))
    for collection, members in view.entities.items():
        for entity_id, value in members.items():
            entities.add_row(*_cells(collection, entity_id, compact(value)))
    return Group(
        _heading(f"Session {view.session_id} after step {view.step}"),
        _section("State", state if view.state else Text("(empty)")),
        _section("Entities", entities if entities.row_count else Text("(none)")),
    )


def replay_report(report: ReplayReport) -> RenderableType:
    steps = _table(
        ("Step", {"justify": "right"}),
        ("Request", {"overflow": "fold"}),
        ("Recorded", {"justify": "right"}),
        ("Now", {"justify": "right"}),
        ("Result", {}),
    )
    differences = _table(
        ("Step", {"justify": "right"}),
        ("Path", {"overflow": "fold"}),
        ("Recorded", {"overflow": "fold"}),
        ("Now", {"overflow": "fold"}),
    )
    notes = _table(("Step", {"justify": "right"}), ("Note", {"overflow": "fold"}))
    for step in report.steps:
        result = Text("same") if step.same else Text("differs", style="bold red")
        steps.add_row(
            *_cells(
                str(step.step),
                f"{step.method} {step.path}",
                str(step.recorded_status),
                str(step.status),
            ),
            result,
        )
        for difference in step.differences:
            differences.add_row(
                *_cells(
                    str(step.step),
                    difference.path,
                    compact(difference.recorded),
                    compact(difference.now),
                )
            )
        if step.omitted_differences:
            more = f"… {step.omitted_differences} more"
            differences.add_row(*_cells(str(step.step), more, "", ""))
        for note in step.notes:
            notes.add_row(*_cells(str(step.step), note))
    summary = report.summary
    kept = ", kept" if report.kept else ""
    parts: list[RenderableType] = [
        _heading(
            f"Replay of session {report.session_id} "
            f"(scratch session {report.scratch_session_id}{kept})"
        )
    ]
    if report.ignored:
        parts.append(Text(f"ignored: {', '.join(report.ignored)}"))
    parts.append(steps if report.steps else Text("(no recorded requests)"))
    if differences.row_count:
        parts.append(_section("Differences", differences))
    if notes.row_count:
        parts.append(_section("Notes", notes))
    parts.append(
        Text(
            f"\n{summary.steps} step{'' if summary.steps == 1 else 's'}: "
            f"{summary.same} same, {summary.differ} differ"
        )
    )
    return Group(*parts)


def stats(answer: Stats) -> RenderableType:
    table = _table(
        ("Hour (UTC)", {}),
        ("Requests", {"justify": "right"}),
        ("Cache hits", {"justify": "right"}),
        ("Hit rate", {"justify": "right"}),
        ("LLM calls", {"justify": "right"}),
        ("Tokens", {"justify": "right"}),
        ("Cost (USD)", {"justify": "right"}),
        ("Errors by source", {"overflow": "fold"}),
        show_footer=True,
    )
    for hour in answer.hours:
        table.add_row(*_cells(_hour(hour.hour), *_counters(hour)))
    for column, total in zip(table.columns, ("total", *_counters(answer.totals)), strict=True):
        column.footer = Text(total, style="bold")
    quotas = answer.quotas
    if quotas is None:
        return table
    return Group(table, _section(f"Quotas on {quotas.day} (UTC)", _quotas(quotas)))


def _quotas(quotas: Quotas) -> Table:
    table = _table(
        ("Quota", {}),
        ("Used", {"justify": "right"}),
        ("Limit", {"justify": "right"}),
        ("Past it", {}),
    )
    requests = quotas.requests_per_day
    if requests is not None:
        past = f"429 ({requests.refused or 0} refused)" if requests.used_up else "429"
        table.add_row(
            *_cells("requests per day", f"{requests.used:.0f}", f"{requests.limit:.0f}", past)
        )
    budget = quotas.llm_budget_usd_per_day
    if budget is not None:
        past = "offline generator" if budget.past_limit == "offline" else "429"
        table.add_row(
            *_cells(
                "LLM budget per day",
                format_usd(budget.used),
                format_usd(budget.limit),
                f"{past} (spent)" if budget.used_up else past,
            )
        )
    return table


def prompts(experiment: PromptExperiment) -> RenderableType:
    """One row per variant, then the server's verdict; the verdict alone without variants."""
    verdict = Text(f"verdict: {experiment.verdict}")
    if not experiment.variants:
        return verdict
    table = _table(
        ("Variant", {"overflow": "fold"}),
        ("Weight", {"justify": "right"}),
        ("Answers", {"justify": "right"}),
        ("Calls", {"justify": "right"}),
        ("Valid 1st try", {"justify": "right"}),
        ("Rate", {"justify": "right"}),
        ("95% interval", {"justify": "right"}),
        ("Repairs", {"justify": "right"}),
        ("Fallbacks", {"justify": "right"}),
        ("p50 ms", {"justify": "right"}),
        ("p95 ms", {"justify": "right"}),
        ("Tokens in", {"justify": "right"}),
        ("Tokens out", {"justify": "right"}),
        ("Cost (USD)", {"justify": "right"}),
    )
    for variant in experiment.variants:
        table.add_row(*_cells(*variant_cells(variant)))
    return Group(table, verdict)


def variant_cells(row: PromptVariantRow) -> list[str]:
    """A variant's row as `mockmind prompts` prints it (and the web UI shows it)."""
    interval = row.valid_first_try_interval
    return [
        row.name,
        _number(row.weight),
        str(row.answers),
        str(row.calls),
        str(row.valid_first_try),
        _share(row.valid_first_try_rate),
        "-" if interval is None else f"{_share(interval[0])}-{_share(interval[1])}",
        str(row.repaired),
        str(row.fallbacks),
        _milliseconds(row.latency_p50_ms),
        _milliseconds(row.latency_p95_ms),
        str(row.prompt_tokens),
        str(row.completion_tokens),
        # Six places, as the server rounds it: a variant's cost is often under a cent.
        fixed(row.cost_usd, 6),
    ]


def fixed(value: float, places: int) -> str:
    """``value`` with ``places`` decimals, a tie rounded up as JavaScript's ``toFixed`` does
    (Python's format rounds it to even): the web UI's Prompts view shows the same digits."""
    exact = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{exact:f}"


def _number(value: float) -> str:
    """A weight as JavaScript's ``String`` writes it: 1, not 1.0."""
    return str(int(value)) if value.is_integer() else repr(value)


def _share(value: float | None) -> str:
    return "-" if value is None else fixed(value * 100, 1) + "%"


def _milliseconds(value: float | None) -> str:
    return "-" if value is None else fixed(value, 1)


def _counters(counters: Counters) -> list[str]:
    rate = counters.cache_hit_rate
    errors = ", ".join(f"{source}: {n}" for source, n in sorted(counters.errors_by_source.items()))
    return [
        str(counters.requests),
        str(counters.cache_hits),
        "-" if rate is None else f"{rate:.1%}",
        str(counters.llm_calls),
        str(counters.tokens),
        f"{counters.cost_usd:.4f}",
        errors or "-",
    ]


def _hour(text: str) -> str:
    """An ISO 8601 hour as the other tables show times (UTC, no T); as sent if not one."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


def _history(entries: Sequence[HistoryEntry]) -> Table:
    table = _table(
        ("#", {"justify": "right"}),
        ("Time (UTC)", {}),
        ("Request", {"overflow": "fold"}),
        ("Status", {"justify": "right"}),
        ("Source", {}),
    )
    for number, entry in enumerate(entries, start=1):
        target = entry.path + (f"?{entry.query}" if entry.query else "")
        table.add_row(
            *_cells(
                str(number),
                utc(entry.at),
                f"{entry.method} {target}",
                str(entry.status),
                entry.source,
            )
        )
    return table


def _table(*columns: tuple[str, Mapping[str, Any]], show_footer: bool = False) -> Table:
    # SIMPLE draws a rule under the header and another over the footer (a totals row).
    table = Table(
        box=box.SIMPLE if show_footer else box.SIMPLE_HEAD,
        show_footer=show_footer,
        pad_edge=False,
        show_edge=False,
    )
    for header, options in columns:
        table.add_column(header, **options)
    return table


def _facts(*rows: tuple[str, str]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    for name, value in rows:
        table.add_row(*_cells(name, value))
    return table


def _heading(text: str) -> Text:
    return Text(text, style="bold")


def _section(title: str, body: RenderableType) -> Group:
    """A titled part after the first: a blank line sets it apart."""
    return Group(Text(""), _heading(title), body)


def _cells(*values: str) -> list[Text]:
    return [Text(value) for value in values]


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
