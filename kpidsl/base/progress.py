"""Progress: which stage a long run is in, and how long each took, on stderr.

    progress = Progress()
    with progress.stage("load"):
        ...
    with progress.stage("aggregate"):
        ...
    progress.finish()

Shown only where a person is watching — the stream is a terminal — and only once
the run has taken longer than `threshold` seconds (0.5 by default), so quick runs,
pipes, CI logs and `quiet=True` stay silent.  Stages that finished before the
threshold are printed when it is crossed, so the listing is complete.  A timer
thread notices when the threshold passes in the middle of a long stage and shows
that stage as running.  Imports only the standard library.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, threshold: float = 0.5,
                 clock: Callable[[], float] = time.monotonic, timer: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and _is_terminal(self.stream)
        self.threshold = threshold
        self.clock = clock
        self.started = clock()
        self.shown = False  # has the threshold been crossed (anything printed)?
        self.done: list[tuple[str, float]] = []  # finished stages not yet printed
        self.current: tuple[str, float] | None = None  # the running stage and its start
        self.open_line = False  # a "stage …" line waits for its time
        self._lock = threading.Lock()
        self._timer_allowed = timer
        self._timer: threading.Timer | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage; print it if the run is (or becomes) long enough to be worth showing."""
        if not self.enabled:
            yield
            return
        start = self.clock()
        with self._lock:
            self.current = (name, start)
            if self.shown:
                self._write(f"kpidsl: {name:<10} …")
                self.open_line = True
            else:
                self._arm(start)
        try:
            yield
        finally:
            end = self.clock()
            with self._lock:
                self._cancel()
                self.current = None
                self.done.append((name, end - start))
                if not self.shown and end - self.started > self.threshold:
                    self.shown = True
                self._flush()

    def finish(self) -> None:
        """Print the total, if anything was shown."""
        if not self.enabled:
            return
        with self._lock:
            self._cancel()
            if self.shown:
                self._flush()
                self._write(f"kpidsl: {'total':<10} {self.clock() - self.started:6.2f} s\n")

    # -- internals (called with the lock held)
    def _flush(self) -> None:
        if not self.shown:
            return
        for name, seconds in self.done:
            prefix = "\r" if self.open_line else ""
            self._write(f"{prefix}kpidsl: {name:<10} {seconds:6.2f} s\n")
            self.open_line = False
        self.done.clear()

    def _arm(self, now: float) -> None:
        """Wake up when the threshold passes, to show a long stage while it runs."""
        if not self._timer_allowed:
            return
        delay = max(0.0, self.threshold - (now - self.started))
        self._timer = threading.Timer(delay, self._wake)
        self._timer.daemon = True
        self._timer.start()

    def _wake(self) -> None:
        with self._lock:
            if self.current is None or self.shown:
                return
            self.shown = True
            self._flush()
            self._write(f"kpidsl: {self.current[0]:<10} …")
            self.open_line = True

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not break the run
            self.enabled = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
