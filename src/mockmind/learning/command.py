"""``mockmind learn INPUT... -o DIR``: read the recordings, learn, write the two files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mockmind.learning.exchanges import Exchange


@click.command("learn")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory to write openapi.yaml and mockmind.yaml into (created if missing).",
)
def learn(inputs: tuple[str, ...], output: str) -> None:
    """Learn a mock from recorded traffic: journal events (.jsonl) or HAR files (.har).

    Writes DIR/openapi.yaml (OpenAPI 3.1) and DIR/mockmind.yaml, which
    `mockmind serve --config DIR/mockmind.yaml` serves.
    """
    try:
        # The learn extra: the command line's other commands run without it.
        from rich.console import Console  # noqa: PLC0415
        from rich.progress import Progress  # noqa: PLC0415

        from mockmind.learning.learner import OPENAPI_FILE  # noqa: PLC0415
        from mockmind.learning.learner import learn as learn_from  # noqa: PLC0415
    except ImportError as exc:
        raise click.ClickException(
            f"mockmind learn needs the learn extra (pip install 'mockmind[learn]'): {exc}"
        ) from None
    from mockmind.domain.errors import RecordingError  # noqa: PLC0415
    from mockmind.learning.recordings import read_recording  # noqa: PLC0415

    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        reading = bar.add_task("reading", total=sum(Path(p).stat().st_size for p in inputs))
        exchanges: list[Exchange] = []
        for name in inputs:
            path = Path(name)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise click.ClickException(f"{name}: cannot be read: {exc}") from None
            try:
                exchanges += read_recording(name, text, first_order=len(exchanges))
            except RecordingError as exc:
                raise click.ClickException(str(exc)) from None
            bar.advance(reading, path.stat().st_size)
        if not exchanges:
            raise click.ClickException("the recordings hold no exchange to learn from")
        learning = bar.add_task("learning", total=len(exchanges))
        learned = learn_from(exchanges, lambda done: bar.advance(learning, done))
    if not learned.summary.exchanges:
        left_out = "; ".join(f"{n} {why}" for why, n in learned.summary.skipped.items())
        raise click.ClickException(f"no exchange of an API to learn from (left out: {left_out})")
    target = Path(output)
    target.mkdir(parents=True, exist_ok=True)
    _write(target / OPENAPI_FILE, learned.document, "")
    _write(
        target / "mockmind.yaml",
        learned.config,
        f"# Learned by `mockmind learn` from {', '.join(Path(p).name for p in inputs)}.\n"
        f"# Serve it: mockmind serve --config {target / 'mockmind.yaml'}\n",
    )
    summary = learned.summary
    console.print("[bold]found[/bold]")
    for line in summary.lines():
        console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    if summary.ambiguities:
        console.print("[bold]ambiguous[/bold]")
        for line in summary.ambiguities:
            console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    click.echo(f"wrote {target / OPENAPI_FILE} and {target / 'mockmind.yaml'}")


def _write(path: Path, data: Any, header: str) -> None:
    import yaml  # noqa: PLC0415

    path.write_text(
        header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
