"""Hover: what a name is — its kind, title, formula, unit, direction, card fields and where
it is defined; on a KPI line, also the line's weight, target, bonus and scheme in words.

Formulas are printed by the formatter's printer (`fmt.format_expr`), numbers by the one
formatter of numbers (`base.numbers`), in the editor's language (`words.language`).
"""

from __future__ import annotations

import os

from lsprotocol import types as lsp

from kpidsl.base.numbers import Numbers
from kpidsl.language import ast
from kpidsl.language.builtins import (
    DEFAULT_SCHEME,
    DEFAULT_SCHEME_FORMULAS,
    FUNCTIONS,
    KPI_CONDITION_NAMES,
    SCHEME_INPUTS,
)
from kpidsl.language.fmt import format_expr
from kpidsl.language.versions import versions
from kpidsl.lsp.analysis import Analysis, Declared, Occurrence, Place
from kpidsl.lsp.convert import LineText, span_range
from kpidsl.lsp.words import Lang, word


def hover(place: Place, lang: Lang) -> lsp.Hover | None:
    occ = place.occurrence()
    if occ is None:
        if place.word in FUNCTIONS:
            f = FUNCTIONS[place.word]
            return _card([f"**{word('function', lang)}** `{f.signature()}`", f.summary])
        return None
    parts = describe(place.analysis, occ, lang)
    return _card(parts, place.analysis.line_text if place.fresh else None, occ)


def describe(analysis: Analysis, occ: Occurrence, lang: Lang) -> list[str]:
    """The hover's paragraphs for a name where it stands."""
    if occ.space == "import":
        target = analysis.import_target(occ.name, occ.span.file)
        return [word("import", lang, target=_where_file(analysis, target)) if target else word("import.missing", lang)]
    if occ.space == "builtin":
        return [f"**{word('builtin', lang)}** `{occ.name}`", _scoring_term(occ.name, lang)]
    if occ.space == "column":
        return [f"`{occ.name}` — {word('column', lang, records=occ.records)}"]
    decl = analysis.declaration(occ.space, occ.name)
    if decl is None:
        return [f"`{occ.name}` — {word('unknown', lang)}"]
    parts = declaration_card(analysis, decl, lang)
    if occ.kpi is not None and occ.role is not None:
        parts.append(kpi_line_words(analysis, occ.kpi, occ.role, lang))
    return parts


def declaration_card(analysis: Analysis, decl: Declared, lang: Lang) -> list[str]:
    kind = _kind(decl)
    title = getattr(decl, "title", None)
    head = f"**{word(kind, lang)}** `{decl.name}`" + (f" — {title}" if title else "")
    parts = [head]
    if isinstance(decl, ast.Metric):
        parts.append(_code(format_expr(decl.formula)))
    elif isinstance(decl, ast.Goal):
        parts.append(_code(format_expr(decl.expr)))
    elif isinstance(decl, ast.Fact) and decl.aggregation is not None:
        parts.append(f"{word('aggregated', lang)}: " + _code_inline(_aggregation(decl.aggregation)))
    elif isinstance(decl, ast.Scheme):
        parts.append(_code("\n".join(f"{a.name} = {format_expr(a.expr)}" for a in decl.assignments)))
    facts: list[str] = []
    if isinstance(decl, (ast.Fact, ast.Metric)):
        if decl.unit is not None:
            facts.append(f"{word('unit', lang)}: {decl.unit.text}")
        facts.append(word(f"better.{ast.direction(decl)}", lang))
    if isinstance(decl, ast.Metric):
        kind_text = decl.kind.text if decl.kind is not None else "result"
        if kind_text in ("result", "process"):
            facts.append(word(f"kind.{kind_text}", lang))
    if isinstance(decl, ast.Fact):
        facts += [f"{word(k, lang)}: {v.text}" for k, v in (("source", decl.source), ("area", decl.area)) if v]
    if isinstance(decl, ast.Records):
        facts += [f"{word('records.' + k, lang)}: {v}" for k, v in (
            ("file", decl.file), ("date", decl.date_column and decl.date_column.text),
            ("employee", decl.employee_column and decl.employee_column.text)) if v]
    if isinstance(decl, ast.Rule):
        if decl.when is not None:
            parts.append(_code(format_expr(decl.when)))
        if decl.level is not None:
            facts.append(f"{word('rule.level', lang)}: {decl.level.text}")
    if isinstance(decl, ast.Role):
        scheme = decl.scheme.text if decl.scheme is not None else DEFAULT_SCHEME
        facts += [word("line.scheme", lang, scheme=scheme), word("role.kpis", lang, count=len(decl.kpis))]
    if isinstance(decl, ast.KpiCard):
        facts += _card_fields(decl, lang)
    if facts:
        parts.append(" · ".join(facts) if not isinstance(decl, ast.KpiCard) else "\n".join(f"* {f}" for f in facts))
    parts += _versions(analysis, decl, lang)
    parts.append(f"{word('defined', lang)} {_where(analysis, decl.span.file, decl.span.line)}")
    return parts


def _versions(analysis: Analysis, decl: Declared, lang: Lang) -> list[str]:
    """A name with plan versions (language/versions.py): each version's days, line and value."""
    model = analysis.model
    space = "value" if isinstance(decl, ast.Goal) else "role" if isinstance(decl, ast.Role) else "scheme"
    decls = model.versions.get((space, decl.name)) if model is not None else None
    if not decls:
        return []
    rows = []
    for v in versions(decls):
        days = (word("version.since", lang, day=v.start.isoformat()) if v.start is not None
                else word("version.start", lang))
        days += f" {word('version.until', lang, day=v.end.isoformat())}" if v.end is not None else ""
        value = f": `{format_expr(v.decl.expr)}`" if isinstance(v.decl, ast.Goal) else ""
        rows.append(f"* {days} ({_where(analysis, v.decl.span.file, v.decl.span.line)}){value}")
    return [f"{word('versions', lang)}:\n" + "\n".join(rows)]


def kpi_line_words(analysis: Analysis, line: ast.KpiLine, role: ast.Role, lang: Lang) -> str:
    """A KPI line in words: weight and its share, baseline, target, bonus, conditions, scheme."""
    numbers = Numbers(lang)
    model = analysis.model
    currency = model.currency if model is not None else "RUB"
    out = [f"**{word('line.title', lang, role=role.name)}**"]
    if line.weight is not None:
        share = (numbers.percent(line.weight.value, max_digits=2) if isinstance(line.weight, ast.Number)
                 else format_expr(line.weight))
        out.append(word("line.weight", lang, weight=_value(line.weight, numbers), share=share))
    if line.baseline is not None:
        out.append(word("line.baseline", lang, value=_value(line.baseline, numbers)))
    out.append(word("line.target", lang, value=_value(line.target, numbers)) if line.target is not None
               else word("line.no_target", lang))
    if line.bonus is not None:
        bonus = (f"{numbers.money(line.bonus.value)} {currency}" if isinstance(line.bonus, ast.Number)
                 else format_expr(line.bonus))
        out.append(word("line.bonus", lang, value=bonus))
    out += [word("line.requires", lang, value=format_expr(r)) for r in line.requires]
    out += [word("line.action", lang, condition=format_expr(a.condition), text=a.text) for a in line.actions]
    name = role.scheme.text if role.scheme is not None else DEFAULT_SCHEME
    scheme = model.schemes.get(name) if model is not None else None
    if scheme is not None:
        formulas = "; ".join(f"{a.name} = {format_expr(a.expr)}" for a in scheme.assignments)
    else:
        formulas = "; ".join(f"{n} = {text}" for n, text in DEFAULT_SCHEME_FORMULAS) if name == DEFAULT_SCHEME else ""
    key = "line.scheme" if scheme is not None or name != DEFAULT_SCHEME else "line.default_scheme"
    out.append(word(key, lang, scheme=name) + (f": `{formulas}`" if formulas else ""))
    return "\n".join(f"* {o}" if n else o for n, o in enumerate(out))


# ------------------------------------------------------------------ pieces


def _kind(decl: Declared) -> str:
    if isinstance(decl, ast.Goal):
        return decl.kind
    if isinstance(decl, ast.KpiCard):
        return "card"
    return type(decl).__name__.lower()


def _card_fields(card: ast.KpiCard, lang: Lang) -> list[str]:
    fields: list[str] = []
    for key in ("measures", "audience", "access", "source", "owner"):
        value = getattr(card, key)
        if value:
            fields.append(f"{word('card.' + key, lang)}: {value}")
    if card.frequency is not None:
        fields.append(f"{word('card.frequency', lang)}: {card.frequency.text}")
    if card.indicator is not None:
        fields.append(f"{word('card.indicator', lang)}: `{card.indicator.text}`")
    if card.goal is not None:
        by = f" {word('card.by', lang)} {card.goal_by.text}" if card.goal_by else ""
        fields.append(f"{word('card.goal', lang)}: `{format_expr(card.goal)}`{by}")
    return fields


def _aggregation(agg: ast.Aggregation) -> str:
    parts = [agg.function] + (["distinct"] if agg.distinct else []) + ([agg.column.text] if agg.column else [])
    parts += ["from", agg.records.text] + (["where", format_expr(agg.where)] if agg.where is not None else [])
    return " ".join(parts)


def _value(expr: ast.Expr, numbers: Numbers) -> str:
    if isinstance(expr, ast.Number):
        return numbers.percent(expr.value, max_digits=2) if expr.is_percent else numbers.number(expr.value)
    return f"`{format_expr(expr)}`"


def _scoring_term(name: str, lang: Lang) -> str:
    from kpidsl.output.i18n import messages

    text = messages(lang).get(f"statement.term.{name}")
    if isinstance(text, str):
        return text
    return KPI_CONDITION_NAMES.get(name) or SCHEME_INPUTS.get(name, "")


def _where_file(analysis: Analysis, file: str) -> str:
    base = os.path.dirname(os.path.realpath(analysis.path))
    real = os.path.realpath(file)
    return os.path.relpath(real, base) if real.startswith(base + os.sep) else real


def _where(analysis: Analysis, file: str, line: int) -> str:
    return f"`{_where_file(analysis, file)}:{line}`"


def _code(text: str) -> str:
    return f"```kpi\n{text}\n```"


def _code_inline(text: str) -> str:
    return f"`{text}`"


def _card(parts: list[str], line_text: LineText | None = None, occ: Occurrence | None = None) -> lsp.Hover:
    where = span_range(occ.span, line_text) if occ is not None and line_text is not None else None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n".join(parts)),
                     range=where)

