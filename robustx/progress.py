"""Progress bars (rich) on stderr for every long step; silent when disabled."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Stages:
    """Named progress bars: ``stage(name, total)`` returns a callable that advances it."""

    def __init__(self, progress: Any | None) -> None:
        self._progress = progress
        self._ids: dict[str, Any] = {}

    def stage(self, name: str, total: int | None = None) -> Any:
        """A bar named ``name``; asking again (the next run of a job) starts it over at 0 of ``total``."""
        if self._progress is None:
            return lambda n=1: None
        if name not in self._ids:
            self._ids[name] = self._progress.add_task(name, total=total)
        else:
            self._progress.reset(self._ids[name], total=total)
        task_id = self._ids[name]
        return lambda n=1: self._progress.advance(task_id, n)

    def log(self, message: str) -> None:
        if self._progress is not None:
            self._progress.console.print(message)


@contextmanager
def progress_stages(enabled: bool = True) -> Iterator[Stages]:
    if not enabled:
        yield Stages(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        yield Stages(progress)
