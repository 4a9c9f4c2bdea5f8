"""One document as the server knows it: `api.check_file` on the editor's text, and an
index of where every name is declared and used, across the ruleset and its imports.

The check is the one `kpidsl check` runs (same facade, same diagnostics); it is what
the debounced diagnostics need, so it is all an edit pays for.  The index is built on
the first request that needs it (hover, definition, references) from the ASTs of the
files the model was loaded from (the parse cache makes them cheap).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from kpidsl.api import Checked, check_file
from kpidsl.base.diagnostics import Span
from kpidsl.language import ast
from kpidsl.language.builtins import KPI_CONDITION_NAMES, SCHEME_INPUTS
from kpidsl.language.load import Model, import_roots, resolve_import
from kpidsl.language.parse import parse, parse_file
from kpidsl.lsp.convert import contains, lines_of

Space = Literal["value", "role", "scheme", "records", "rule", "import", "builtin", "column"]
Declared = ast.Fact | ast.Metric | ast.Goal | ast.KpiCard | ast.Role | ast.Scheme | ast.Records | ast.Rule


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A name where it stands: declared (`declares`) or used, in which namespace.
    A KPI line's indicator also knows its line and role, for the hover's words."""

    space: Space
    name: str
    span: Span
    declares: bool = False
    kpi: ast.KpiLine | None = None
    role: ast.Role | None = None
    records: str | None = None  # for a column: the records it belongs to


class Analysis:
    """The editor's text of one ruleset, checked, with its index built on demand."""

    def __init__(self, path: str, text: str, checked: Checked, import_paths: Sequence[str] = ()) -> None:
        self.path = path
        self.import_paths = tuple(import_paths)
        self.text = text
        self.checked = checked
        self.lines = lines_of(text)

    @property
    def model(self) -> Model | None:
        return self.checked.model

    def line_text(self, file: str, number: int) -> str | None:
        """The text of a line of this file (the editor's) or of a file it imports."""
        if file == self.path:
            return self.lines[number - 1] if 1 <= number <= len(self.lines) else None
        return self.checked.sources.line(file, number)

    @cached_property
    def tree(self) -> ast.Ruleset | None:
        """This text's AST (None on a syntax error); the check just parsed it, and `parse`
        keeps the last few in memory, so this is a look-up."""
        return parse(self.text, self.path, keep=False)[0]

    def trees(self) -> Iterator[ast.Ruleset]:
        """The AST of this file and of every file it imports."""
        if self.tree is not None:
            yield self.tree
        for file in (self.model.files[1:] if self.model is not None else ()):
            tree = parse_file(file)[0]
            if tree is not None:
                yield tree

    @cached_property
    def index(self) -> list[Occurrence]:
        model = self.model
        if model is None:
            return []
        return [occ for tree in self.trees() for occ in occurrences(tree, model)]

    def at(self, line: int, column: int) -> Occurrence | None:
        """The name at a 1-based place of this file: the narrowest occurrence there."""
        found = [o for o in self.index if o.span.file == self.path and contains(o.span, line, column)]
        return min(found, key=lambda o: (o.span.end_column or 0) - o.span.column, default=None)

    def declaration(self, space: Space, name: str) -> Declared | None:
        """What a name of a namespace stands for in the model (the winning declaration)."""
        model = self.model
        if model is None:
            return None
        tables: dict[str, dict[str, Declared]] = {
            "value": dict(model.values), "role": dict(model.roles), "scheme": dict(model.schemes),
            "records": dict(model.records), "rule": dict(model.rules)}
        table = tables.get(space, {})
        return table.get(name)

    def references(self, space: Space, name: str) -> list[Occurrence]:
        return [o for o in self.index if o.space == space and o.name == name]

    def import_target(self, path: str, importing_file: str) -> str | None:
        """The file an `import` names, if it resolves (the loader's own rule)."""
        target = resolve_import(path, importing_file, import_roots(self.path, self.import_paths))
        return None if isinstance(target, str) else os.path.realpath(target)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a request points: a 1-based line and column of the editor's current text, the
    identifier there, and the analysis to answer from — of this very text (`fresh`), or the
    last one that had a model while the text does not parse."""

    analysis: Analysis
    line: int
    column: int
    word: str
    word_column: int
    fresh: bool

    def occurrence(self) -> Occurrence | None:
        """The name here: by its span in a fresh analysis, else by its spelling."""
        if self.fresh:
            found = self.analysis.at(self.line, self.column)
            if found is not None:
                return found
        if not self.word:
            return None
        spaces: tuple[Space, ...] = ("value", "role", "scheme", "records", "rule")
        for space in spaces:
            if self.analysis.declaration(space, self.word) is not None:
                span = Span(self.analysis.path, self.line, self.word_column, self.line,
                            self.word_column + len(self.word))
                return Occurrence(space, self.word, span)
        return None


def analyse(path: str, text: str, import_paths: Sequence[str] = ()) -> Analysis:
    """Check the editor's text of `path` exactly as `kpidsl check` checks the file."""
    return Analysis(path, text, check_file(path, text=text, import_paths=import_paths, keep_text=False), import_paths)


# ------------------------------------------------------------------ the index


def occurrences(tree: ast.Ruleset, model: Model) -> Iterator[Occurrence]:
    """Every declaration and use of a name in one file."""
    for item in tree.items:
        if isinstance(item, ast.Import):
            yield Occurrence("import", item.path, item.span)
        elif isinstance(item, ast.Fact):
            yield Occurrence("value", item.name, item.span, declares=True)
            if item.aggregation is not None:
                agg = item.aggregation
                yield Occurrence("records", agg.records.text, agg.records.span)
                if agg.column is not None:
                    yield Occurrence("column", agg.column.text, agg.column.span, records=agg.records.text)
                if agg.where is not None:
                    for name in ast.names_in(agg.where):
                        yield Occurrence("column", name.name, name.span, records=agg.records.text)
        elif isinstance(item, ast.Records):
            yield Occurrence("records", item.name, item.span, declares=True)
        elif isinstance(item, (ast.Metric, ast.Goal)):
            yield Occurrence("value", item.name, item.span, declares=True)
            yield from _names(item.formula if isinstance(item, ast.Metric) else item.expr, model)
        elif isinstance(item, ast.KpiCard):
            yield Occurrence("value", item.name, item.span, declares=True)
            if item.indicator is not None:
                yield Occurrence("value", item.indicator.text, item.indicator.span)
            if item.goal is not None:
                yield from _names(item.goal, model)
        elif isinstance(item, ast.Scheme):
            yield Occurrence("scheme", item.name, item.span, declares=True)
            own = {a.name for a in item.assignments}
            for assignment in item.assignments:
                yield from _names(assignment.expr, model, builtin=set(SCHEME_INPUTS) | own)
        elif isinstance(item, ast.Role):
            yield from _role(item, model)
        elif isinstance(item, ast.Employee):
            yield Occurrence("role", item.role.text, item.role.span)
        elif isinstance(item, ast.Rule):
            yield Occurrence("rule", item.name, item.span, declares=True)
            if item.when is not None:
                yield from _names(item.when, model)


def _role(role: ast.Role, model: Model) -> Iterator[Occurrence]:
    yield Occurrence("role", role.name, role.span, declares=True)
    if role.scheme is not None:
        yield Occurrence("scheme", role.scheme.text, role.scheme.span)
    for condition in role.requires:
        yield from _names(condition, model, builtin=set(KPI_CONDITION_NAMES))
    for line in role.kpis:
        yield Occurrence("value", line.indicator.text, line.indicator.span, kpi=line, role=role)
        for expr in (line.weight, line.baseline, line.target, line.bonus):
            if expr is not None:
                yield from _names(expr, model)
        for expr in (*line.requires, *(a.condition for a in line.actions)):
            yield from _names(expr, model, builtin=set(KPI_CONDITION_NAMES))


def _names(expr: ast.Expr, model: Model, builtin: set[str] | None = None) -> Iterator[Occurrence]:
    """The names of an expression: the model's values, else the scoring names it may read."""
    for name in ast.names_in(expr):
        if name.name not in model.values and builtin and name.name in builtin:
            yield Occurrence("builtin", name.name, name.span)
        else:
            yield Occurrence("value", name.name, name.span)
