"""The wire shapes of ``POST /__mockmind/sessions/{id}/replay`` (domain/session_replay.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mockmind.domain.answer_diff import PATH_PATTERN
from mockmind.domain.session_replay import ReplayReport


class ReplayRequest(BaseModel):
    """What to leave out of the comparison, and whether to keep the scratch session."""

    # The path pattern needs Python's regex engine (a lookahead), as the webhook one does.
    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")

    ignore: list[Annotated[str, Field(pattern=PATH_PATTERN, max_length=500)]] | None = Field(
        None,
        description="JSON paths left out of the body comparison ($.id, $..created_at, "
        "$.items[*].id); absent or null: the fields the config fills with the clock",
        max_length=200,
    )
    keep: bool = Field(
        False, description="keep the scratch session afterwards (its id is in the answer)"
    )


class ReplayDifference(BaseModel):
    path: str = Field(description="where the bodies part, as a JSON path")
    recorded: Any = Field(description="the recorded value (null when only now has one)")
    now: Any = Field(description="the value now (null when only the recording has one)")
    kind: Literal["changed", "added", "removed"]


class ReplayStepView(BaseModel):
    """One recorded request, replayed: its status then and now, and where the bodies differ."""

    step: int = Field(ge=1)
    method: str
    path: str
    recorded_status: int
    status: int
    same: bool = Field(description="same status, and no difference outside the ignored paths")
    differences: list[ReplayDifference]
    omitted_differences: int = Field(ge=0, description="differences beyond those listed")
    notes: list[str] = Field(
        description="what the replay sent differently (credentials the journal masked), or "
        "could not compare"
    )


class ReplaySummary(BaseModel):
    steps: int = Field(ge=0)
    same: int = Field(ge=0)
    differ: int = Field(ge=0)


class ReplayView(BaseModel):
    """The session's requests replayed against the config in use, in a scratch session."""

    session_id: str
    scratch_session_id: str
    kept: bool = Field(description="whether the scratch session was kept (else it is deleted)")
    ignored: list[str] = Field(description="the JSON paths left out of the comparison")
    steps: list[ReplayStepView]
    summary: ReplaySummary


def replay_view(report: ReplayReport) -> dict[str, Any]:
    """A ``ReplayReport`` as the wire shape."""
    return {
        "session_id": report.session_id,
        "scratch_session_id": report.scratch_session_id,
        "kept": report.kept,
        "ignored": list(report.ignored),
        "steps": [
            {
                "step": step.step,
                "method": step.method,
                "path": step.path,
                "recorded_status": step.recorded_status,
                "status": step.status,
                "same": step.same,
                "differences": [
                    {"path": d.path, "recorded": d.recorded, "now": d.now, "kind": d.kind}
                    for d in step.differences
                ],
                "omitted_differences": step.omitted,
                "notes": list(step.notes),
            }
            for step in report.steps
        ],
        "summary": {"steps": len(report.steps), "same": report.same, "differ": report.differ},
    }
