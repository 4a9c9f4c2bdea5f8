"""Rendering diagnostics: the quoted line is the one the parser counted."""

from __future__ import annotations

from kpidsl.base.diagnostics import SourceCache, Span, error, render_human


def test_quoted_line_counts_newlines_like_the_parser() -> None:
    sources = SourceCache()
    sources.add("r.kpi", 'fact a "x\u2028y"\r\nfact b\n')
    text = render_human(error("K021", "unknown name `b`", Span("r.kpi", 2, 6, 2, 7)), sources)
    assert text.splitlines()[1:] == ["   2 | fact b", "            ^"]


def test_end_of_file_line_can_be_quoted() -> None:
    sources = SourceCache()
    sources.add("r.kpi", "role r {\n")  # the error sits on the line after the last newline
    text = render_human(error("K002", "the file ends inside `role`", Span("r.kpi", 2, 1)), sources)
    assert text.splitlines()[1] == "   2 | "
