"""Progress display on stderr: a live bar on a terminal, nothing at all when quiet.

When stderr is not a terminal (a log file, CI) no bars are drawn, only the
summary lines; an error hides the bar, so the error is the one line that remains.

Training runs in Numba without the GIL in a helper thread; the main thread polls
the kernels' shared word counters a few times a second and updates the bar, so
the kernels never call back into Python.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Display:
    """Phases of work shown as progress bars (or not at all when ``enabled`` is false)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.console = Console(stderr=True)
        self.bars = enabled and self.console.is_terminal

    @contextlib.contextmanager
    def phase(self, description: str, total: float | None) -> Iterator[Callable[..., None]]:
        """Yield ``update(done, info="")`` for one phase with ``total`` units of work
        (None: not known in advance)."""
        if not self.bars:
            yield lambda done, info="": None
            return
        if total is None:  # a stream: no end known, no percentage, no ETA
            columns = (TextColumn("{task.description:<9}"), BarColumn(), TextColumn("{task.fields[info]}"),
                       TimeElapsedColumn())
        else:
            columns = (TextColumn("{task.description:<9}"), BarColumn(), TaskProgressColumn(),
                       TextColumn("{task.fields[info]}"), TextColumn("ETA"), TimeRemainingColumn())
        with Progress(*columns, console=self.console, transient=False,
                      refresh_per_second=5) as bar:
            task = bar.add_task(description, total=None if total is None else max(total, 1), info="")

            def update(done: float, info: str = "") -> None:
                bar.update(task, completed=done if total is None else min(done, total), info=info)

            try:
                yield update
            except BaseException:
                bar.update(task, visible=False)
                raise
            if total is not None:
                bar.update(task, completed=max(total, 1))

    @contextlib.contextmanager
    def reading(self, description: str, total_bytes: int | None) -> Iterator[Callable[[int, int], None]]:
        """Yield ``update(bytes_done, words_done)`` for reading a corpus of ``total_bytes``
        (None: unknown, a stream): the bar shows the bytes and words read and the rate."""
        t0 = time.perf_counter()
        with self.phase(description, total_bytes) as update:
            def show(done: int, words: int) -> None:
                seconds = elapsed(t0)
                rate = f", {done / seconds / 1e6:,.1f} MB/s" if seconds > 0 else ""
                update(done, f"{done / 1e6:,.1f} MB, {words / 1e6:,.2f}M words{rate}")

            yield show

    def line(self, text: str) -> None:
        if self.enabled:
            print(text, file=sys.stderr, flush=True)

    def warning(self, text: str) -> None:
        """One ``fastw2v: warning: ...`` line on stderr, shown even when quiet."""
        print(f"fastw2v: warning: {text}", file=sys.stderr, flush=True)


def format_rate(words_per_second: float) -> str:
    if words_per_second >= 1e6:
        return f"{words_per_second / 1e6:.2f}M words/s"
    return f"{words_per_second / 1e3:.0f}k words/s"


def elapsed(start: float) -> float:
    return time.perf_counter() - start
