"""The report of a simulation as one HTML page: latency and status charts per step (inline
SVG, nothing fetched), and every failed check with its session id."""

from __future__ import annotations

from html import escape
from typing import Any

_BAR = 18
_GAP = 8
_LABEL = 260
_WIDTH = 420
_STATUS_COLOURS = {"2": "#2e7d32", "3": "#1565c0", "4": "#ef6c00", "5": "#c62828"}


def html_report(report: dict[str, Any]) -> str:
    steps: list[dict[str, Any]] = report["steps"]
    failures: list[dict[str, Any]] = report["failures"]
    title = f"mockmind simulate: {report['flow']}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
svg text {{ font: 12px system-ui, sans-serif; }}
.ok {{ color: #2e7d32; }} .bad {{ color: #c62828; }}
</style></head><body>
<h1>{escape(title)}</h1>
{_summary(report)}
<h2>Latency per step (ms: p50, p95, p99)</h2>
{_latency_chart(steps)}
<h2>Statuses per step</h2>
{_status_chart(steps)}
<h2>Steps</h2>
{_steps_table(steps)}
<h2 id="failures">Failed checks ({report["checks"]["failed"]})</h2>
{_failures_table(failures, report.get("failures_not_listed", 0))}
</body></html>
"""


def _summary(report: dict[str, Any]) -> str:
    checks = report["checks"]
    verdict = "ok" if checks["failed"] == 0 else "bad"
    latency = report["latency_ms"]
    return (
        f'<p class="{verdict}">{report["users"]} users, {report["iterations"]} iterations, '
        f"{report['requests']} requests in {report['wall_seconds']} s "
        f"({report['requests_per_second']} per second); p50 {latency['p50']} ms, "
        f"p99 {latency['p99']} ms; checks passed {checks['passed']}, failed "
        f"{checks['failed']}.</p>{_llm_usage(report.get('llm'))}"
    )


def _llm_usage(llm: dict[str, int] | None) -> str:
    # Only a choose: llm flow asks the model; the page says what its choices cost.
    if llm is None:
        return ""
    return (
        f"<p>LLM choosing the next steps: {llm['calls']} calls, "
        f"{llm['refused_answers']} answers refused (each asked again once), "
        f"{llm['prompt_tokens']} prompt + {llm['completion_tokens']} completion tokens.</p>"
    )


def _latency_chart(steps: list[dict[str, Any]]) -> str:
    highest = max((s["latency_ms"]["p99"] or 0 for s in steps), default=0) or 1
    rows = []
    for index, step in enumerate(steps):
        y = index * (3 * _BAR + _GAP)
        rows.append(_label(step["step"], y + _BAR))
        for offset, (key, colour) in enumerate(
            (("p50", "#90caf9"), ("p95", "#42a5f5"), ("p99", "#1565c0"))
        ):
            value = step["latency_ms"][key] or 0
            width = value / highest * _WIDTH
            top = y + offset * _BAR
            rows.append(
                f'<rect x="{_LABEL}" y="{top}" width="{width:.1f}" height="{_BAR - 2}" '
                f'fill="{colour}"><title>{key} {value} ms</title></rect>'
                f'<text x="{_LABEL + width + 4:.1f}" y="{top + _BAR - 5}">{key} {value}</text>'
            )
    height = len(steps) * (3 * _BAR + _GAP)
    return _svg(height, rows)


def _status_chart(steps: list[dict[str, Any]]) -> str:
    rows = []
    for index, step in enumerate(steps):
        y = index * (_BAR + _GAP)
        rows.append(_label(step["step"], y + _BAR - 5))
        total = sum(step["statuses"].values()) or 1
        x = float(_LABEL)
        for status, count in step["statuses"].items():
            width = count / total * _WIDTH
            colour = _STATUS_COLOURS.get(status[:1], "#616161")
            rows.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{_BAR}" '
                f'fill="{colour}"><title>{escape(status)}: {count}</title></rect>'
            )
            x += width
    height = len(steps) * (_BAR + _GAP)
    return _svg(height, rows)


def _label(text: str, y: float) -> str:
    shown = text if len(text) <= 38 else text[:37] + "…"
    return f'<text x="0" y="{y}"><title>{escape(text)}</title>{escape(shown)}</text>'


def _svg(height: int, rows: list[str]) -> str:
    width = _LABEL + _WIDTH + 90
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{max(height, 1)}" '
        f'role="img">{"".join(rows)}</svg>'
    )


def _steps_table(steps: list[dict[str, Any]]) -> str:
    head = "<tr><th>step</th><th>requests</th><th>statuses</th><th>p50</th><th>p95</th>"
    head += "<th>p99</th><th>failed checks</th></tr>"
    rows = [
        "<tr>"
        f"<td>{escape(s['step'])}</td><td>{s['requests']}</td>"
        f"<td>{escape(', '.join(f'{k}: {v}' for k, v in s['statuses'].items()))}</td>"
        f"<td>{s['latency_ms']['p50']}</td><td>{s['latency_ms']['p95']}</td>"
        f"<td>{s['latency_ms']['p99']}</td><td>{s['failures']}</td>"
        "</tr>"
        for s in steps
    ]
    return f"<table>{head}{''.join(rows)}</table>"


def _failures_table(failures: list[dict[str, Any]], not_listed: int) -> str:
    if not failures:
        return '<p class="ok">None.</p>'
    head = "<tr><th>session</th><th>user</th><th>iteration</th><th>step</th><th>check</th>"
    head += "<th>found</th></tr>"
    rows = [
        "<tr>"
        f"<td><code>{escape(f['session_id'])}</code></td><td>{f['user']}</td>"
        f"<td>{f['iteration']}</td><td>{escape(f['step'])}</td><td>{escape(f['check'])}</td>"
        f"<td>{escape(f['message'])}</td></tr>"
        for f in failures
    ]
    more = f"<p>{not_listed} more not listed.</p>" if not_listed else ""
    hint = "<p>See a session's requests: <code>mockmind inspect-session SESSION</code>.</p>"
    return f"{hint}<table>{head}{''.join(rows)}</table>{more}"
