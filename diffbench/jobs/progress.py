"""Live progress while results arrive: a rich bar on a terminal (done,
failed, running, ETA), one plain line per result otherwise."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stream=None, live: bool | None = None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.quiet = quiet
        self.bar = None

    def start(self, total: int, done: int, slots: int) -> None:
        self.total, self.done, self.failed, self.slots = total, done, 0, max(1, slots)
        self.t0, self.done0 = time.monotonic(), done
        if self.live and not self.quiet:
            self._start_bar()
        elif not self.quiet:
            self._line(f"{total - done} tasks to run ({done} of {total} already done) on {self.slots} slot(s)")

    def update(self, record: dict) -> None:
        self.done += 1
        self.failed += record["status"] != "ok"
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.update(self.task_id, completed=self.done, failed=self.failed, running=self._running())
        else:
            median = f" median {record['median']:.3g}s" if record.get("median") is not None else ""
            self._line(f"[{self.done}/{self.total}] {record['status']:<11} {record['task_key']}{median}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def _running(self) -> int:
        return min(self.slots, self.total - self.done)

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self.bar = Bar(TextColumn("[bold]tasks"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("[red]{task.fields[failed]} not ok"), TextColumn("{task.fields[running]} running"),
                       TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                       console=Console(file=self.stream), transient=False)
        self.task_id = self.bar.add_task("run", total=self.total, completed=self.done,
                                         failed=0, running=self._running())
        self.bar.start()
