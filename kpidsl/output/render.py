"""Reports: a `Results` rendered as HTML, Markdown or XLSX.

    render_report(results, "html", report="all", locale="en") -> bytes

The reports are the analytical report (the methodology's table 5), the bonus
calculation (tables 1–4), the employee statement and the dashboard; `report="all"`
puts them into one document (all sheets for XLSX).  HTML and Markdown come from the
Jinja templates in `reports/` (or a consultant's own `template=PATH`), rendered in a
sandbox: HTML is autoescaped, and Markdown escapes every printed value (see
`md_escape`).  Template mistakes raise `RenderError` naming the template file and
line.  Jinja2, Babel and openpyxl are imported only when a report is rendered.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import TracebackType
from typing import Any

from kpidsl.base.diagnostics import shorten
from kpidsl.base.files import kind, named_problem
from kpidsl.base.resources import resource_dir
from kpidsl.output.analysis import REPORTS, build_context, choose_period
from kpidsl.output.i18n import Formatter, LocaleError
from kpidsl.results.model import Results

FORMATS = ("html", "md", "xlsx")
REPORT_CHOICES = (*REPORTS, "all")


class RenderError(Exception):
    """A report could not be rendered; the message says why (and where, for templates)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def render_report(results: Results, fmt: str, *, report: str = "all", locale: str | None = None,
                  template: str | None = None, period: str | None = None) -> bytes:
    """The report `report` of `results` in `fmt` ("html" | "md" | "xlsx"), as bytes.

    `locale` overrides the results' locale; `template` is a path to a Jinja template
    used instead of the built-in one (HTML and Markdown only); `period` picks the
    reported period (default: the latest period with results).
    """
    if fmt not in FORMATS:
        raise RenderError(f"unknown report format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if report not in REPORT_CHOICES:
        raise RenderError(f"unknown report {report!r}; use one of: {', '.join(REPORT_CHOICES)}")
    if template is not None and fmt == "xlsx":
        raise RenderError("a custom --template applies to html and md reports, not to xlsx")
    try:
        formatter = Formatter(locale or results.locale or "ru", results.currency, results.minor_digits)
        chosen = choose_period(results, period)
    except (LocaleError, ValueError) as exc:
        raise RenderError(str(exc)) from None
    reports = list(REPORTS) if report == "all" else [report]
    context = build_context(results, formatter, chosen, reports)
    from kpidsl.output.charts import build_dashboard

    context.dashboard = build_dashboard(context, results, formatter)
    if fmt == "xlsx":
        from kpidsl.output.xlsx import workbook_bytes

        return workbook_bytes(context, formatter)
    return _render_template(context.as_dict(), fmt, template).encode("utf-8")


# ------------------------------------------------------------------ Jinja


class MdSafe(str):
    """Markdown that is already escaped (a macro's output): printed as is."""


_MD_SPECIAL = re.compile(r"([\\`*\[\]<|])")
_MD_UNDERSCORE = re.compile(r"(?<!\w)_|_(?!\w)")
_MD_LINE_START = re.compile(r"^([#+\-=>]|\d+\.)(\s|$)")


def md_escape(value: object) -> str:
    """Text that shows as itself in Markdown, even inside a pipe-table cell.

    Backslash-escapes the characters that start markup (`|` would end a table cell,
    `<` would open raw HTML), turns line breaks into spaces (a table row is one line)
    and escapes a leading `#`, `-`, `>` … that would start a heading, list or quote.
    """
    if isinstance(value, MdSafe):
        return value
    if value is None:
        return ""
    text = " ".join(str(value).replace("\r", "\n").split("\n"))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    return _MD_LINE_START.sub(r"\\\1\2", text)


_TICKS = re.compile(r"`([^`\n]+)`")


def html_ticks(value: object) -> Any:
    """Escaped text with `names` in backticks (as diagnostics write them) shown as <code>."""
    from markupsafe import Markup, escape

    return Markup(_TICKS.sub(r"<code>\1</code>", str(escape(value))))


def md_ticks(value: object) -> MdSafe:
    """Escaped Markdown that keeps `names` in backticks as code spans (`|` still escaped)."""
    parts = _TICKS.split(str(value))
    return MdSafe("".join(md_escape(p) if i % 2 == 0 else "`" + p.replace("|", "\\|") + "`"
                          for i, p in enumerate(parts)))


def _environment(fmt: str, extra: Path | None) -> Any:
    from jinja2 import StrictUndefined

    from kpidsl.output.sandbox import sandbox

    folders = ([str(extra)] if extra is not None else []) + [str(resource_dir("reports"))]
    env = sandbox(
        folders, autoescape=fmt == "html", undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        finalize=md_escape if fmt == "md" else None)
    env.filters["raw"] = MdSafe  # Markdown: print a macro's (already escaped) output as is
    env.filters["md"] = md_escape
    env.filters["ticks"] = html_ticks if fmt == "html" else md_ticks
    return env


def render_builtin(context: dict[str, Any], fmt: str, name: str) -> str:
    """The built-in template `name` (in `reports/`) rendered with `context`, in the same
    sandbox and with the same error reporting as the reports (`kpidsl compare` uses it)."""
    return _render_template(context, fmt, None, name)


def _render_template(context: dict[str, Any], fmt: str, template: str | None, builtin: str | None = None) -> str:
    from jinja2 import TemplateNotFound, TemplateSyntaxError

    from kpidsl.output.sandbox import render_capped

    if template is not None:
        path = Path(template)
        found = kind(path)
        if found == "error":
            raise RenderError(named_problem(path))
        if found != "file":
            raise RenderError(f"{shorten(template)}: template not found")
        env, name = _environment(fmt, path.resolve().parent), path.name
    else:
        env, name = _environment(fmt, None), builtin or f"report.{fmt}.j2"
    try:
        return render_capped(env.get_template(name).generate(context))
    except TemplateSyntaxError as exc:
        where = exc.filename or (template or name)
        raise RenderError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    except TemplateNotFound as exc:
        raise RenderError(f"{template or name}: template {exc.name!r} not found "
                          f"(looked in the template's folder and {resource_dir('reports')})") from None
    except Exception as exc:  # any runtime error inside a template: report where it happened
        where = _template_frame(exc.__traceback__, env.loader.searchpath)
        raise RenderError(f"{where or template or name}: template error: {type(exc).__name__}: {exc}") from None


def _template_frame(tb: TracebackType | None, folders: list[str]) -> str:
    """`file:line` of the innermost template frame (Jinja rewrites frames to template lines)."""
    roots = [Path(folder).resolve() for folder in folders]
    found = ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if Path(filename).resolve().parent in roots:
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found
