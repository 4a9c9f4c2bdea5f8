"""The stage reporter: silent for quick runs, pipes and quiet; complete listing for long runs."""

from __future__ import annotations

import io
import subprocess
import sys
import time

from kpidsl.base.progress import Progress


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run_stages(progress: Progress, clock: Clock, durations: list[tuple[str, float]]) -> None:
    for name, seconds in durations:
        with progress.stage(name):
            clock.now += seconds
    progress.finish()


def test_quick_run_prints_nothing() -> None:
    clock, out = Clock(), FakeTTY()
    run_stages(Progress(out, clock=clock, timer=False), clock, [("load", 0.1), ("aggregate", 0.2), ("render", 0.1)])
    assert out.getvalue() == ""


def test_long_run_lists_every_stage_with_times() -> None:
    clock, out = Clock(), FakeTTY()
    run_stages(Progress(out, clock=clock, timer=False), clock,
               [("load", 0.1), ("aggregate", 2.5), ("score", 0.25), ("render", 0.2)])
    lines = [line.split("\r")[-1] for line in out.getvalue().split("\n") if line]  # as a terminal shows them
    assert [line.split()[1] for line in lines] == ["load", "aggregate", "score", "render", "total"]
    assert lines[0].endswith("0.10 s") and lines[1].endswith("2.50 s") and lines[-1].endswith("3.05 s")
    # stages that start after the threshold show a running line first, then overwrite it
    assert "kpidsl: score      …\rkpidsl: score        0.25 s" in out.getvalue()


def test_silent_when_not_a_terminal_or_quiet() -> None:
    for out, quiet in ((io.StringIO(), False), (FakeTTY(), True)):
        clock = Clock()
        run_stages(Progress(out, clock=clock, quiet=quiet, timer=False), clock, [("aggregate", 5.0)])
        assert out.getvalue() == ""


def test_threshold_crossed_inside_a_long_stage_shows_it_running() -> None:
    out = FakeTTY()
    progress = Progress(out, threshold=0.05)
    with progress.stage("load"):
        pass
    with progress.stage("aggregate"):
        deadline = time.monotonic() + 2
        while "aggregate" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert out.getvalue().endswith("kpidsl: aggregate  …")  # shown while it still runs
        assert "kpidsl: load" in out.getvalue()  # with the stage before it
    progress.finish()
    assert "\rkpidsl: aggregate " in out.getvalue() and out.getvalue().endswith(" s\n")


def test_a_broken_stream_does_not_break_the_run() -> None:
    class Broken(FakeTTY):
        def write(self, text: str) -> int:
            raise OSError("gone")

    clock = Clock()
    progress = Progress(Broken(), clock=clock, timer=False)
    run_stages(progress, clock, [("aggregate", 2.0), ("render", 1.0)])
    assert progress.enabled is False


def test_import_is_light() -> None:
    code = ("import sys, kpidsl.base.progress; "
            "print(sorted(m for m in ('duckdb', 'sqlglot', 'jinja2', 'openpyxl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
