"""The progress bar of ``import-session`` and ``replay`` (rich), on stderr.

Each is one call to the server, so the bar follows that call's phases: the body going up (a
fixture: bytes of its length), the server at work (a pulsing bar: it says nothing until it
answers), the answer coming down (bytes of its ``Content-Length``). It shows only on a
terminal: piped or captured stderr gets no bar, so logs and scripts see only the result.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class TransferBar:
    """A ``TransferProgress`` (``admin_client``) drawn as one rich bar."""

    def __init__(self, console: Console, action: str) -> None:
        self._action = action
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=True,
        )
        self._task: TaskID = self._progress.add_task(action, total=None)

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def sending(self, done: int, total: int) -> None:
        self._progress.update(
            self._task, description=f"{self._action}: sending", completed=done, total=total
        )

    def waiting(self) -> None:
        self._progress.update(
            self._task, description=f"{self._action}: server at work", completed=0, total=None
        )

    def receiving(self, done: int, total: int | None) -> None:
        self._progress.update(
            self._task, description=f"{self._action}: receiving", completed=done, total=total
        )
