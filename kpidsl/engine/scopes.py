"""The names a formula can read while the plan is compiled.

`ValueScope` resolves the ruleset's values (facts, metrics, goals, KPI cards) to
columns of the values frame, computing each once; `LocalScope` adds the names one
KPI line binds (its scoring inputs and the scheme's steps) on top of it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from sqlglot import exp

from kpidsl.engine.lower import CompileError, Lowerer, Operand, column, paren, year_of
from kpidsl.engine.versions import in_range, value_versions
from kpidsl.language import ast

if TYPE_CHECKING:
    from kpidsl.engine.compile import Compiler


class ValueScope:
    """Ruleset values (facts, metrics, goals, KPI cards) as columns of the values frame."""

    def __init__(self, compiler: Compiler) -> None:
        self.c = compiler
        self.lowerer = Lowerer(compiler.values)
        self.constants: dict[str, Fraction | None] = {}  # exact values of constant formulas
        self._busy: set[str] = set()

    def declaration(self, name: ast.Name | str) -> ast.Fact | ast.Metric | ast.Goal | ast.KpiCard:
        text = name if isinstance(name, str) else name.name
        decl = self.c.model.values.get(text)
        if decl is None:
            raise CompileError(f"unknown name `{text}`", None if isinstance(name, str) else name.span)
        return decl

    def series(self, name: ast.Name | str) -> ast.Fact | ast.Metric | ast.Goal:
        """A KPI card stands for its indicator."""
        decl = self.declaration(name)
        seen = set()
        while isinstance(decl, ast.KpiCard):
            if decl.indicator is None or decl.name in seen:
                raise CompileError(f"KPI card `{decl.name}` has no indicator", decl.span)
            seen.add(decl.name)
            decl = self.declaration(ast.Name(decl.indicator.text, decl.indicator.span))
        return decl

    def ensure(self, decl: ast.Fact | ast.Metric | ast.Goal) -> Operand:
        if isinstance(decl, ast.Fact):
            return Operand(column(decl.name))
        if decl.name in self.constants:
            if decl.name in self.c.folded:
                return Lowerer.constant(self.constants[decl.name])
            return Operand(column(decl.name))
        if decl.name in self._busy:
            raise CompileError(f"`{decl.name}` is defined in terms of itself", decl.span)
        self._busy.add(decl.name)
        versions = value_versions(self.c.model, decl.name) if isinstance(decl, ast.Goal) else []
        if versions:
            op = self._versioned(versions)
        else:
            op = self.lowerer.lower(decl.formula if isinstance(decl, ast.Metric) else decl.expr, self)
        self._busy.discard(decl.name)
        self.c.values.define(decl.name, op.sql)
        self.constants[decl.name] = op.const
        if isinstance(decl, ast.Goal) and (op.const is not None or op.is_null):
            self.c.folded.add(decl.name)
            return Lowerer.constant(op.const)
        return Operand(column(decl.name))

    def resolve(self, name: ast.Name) -> Operand:
        return self.ensure(self.series(name))

    def _versioned(self, versions: list[tuple[ast.Goal, str | None, str | None]]) -> Operand:
        """A goal or param with versions: each period's value is the version's in force on its
        first day (engine/versions.py), NULL where none is."""
        period = column(f"{self.c.prefix}period")
        ifs = []
        for goal, lo, hi in versions:
            value = self.lowerer.lower(goal.expr, self)
            condition = in_range(period, lo, hi)
            ifs.append(exp.If(this=condition if condition is not None else exp.true(), true=paren(value.sql)))
        return Operand(exp.Case(ifs=ifs))

    def previous(self, name: ast.Name) -> Operand:
        decl = self.series(name)
        if isinstance(decl, ast.Goal):  # a constant is the same in every period
            return self.ensure(decl)
        self.ensure(decl)
        prev_name = f"{self.c.prefix}prev_{decl.name}"
        if prev_name not in self.c.values.stage_of:
            p = self.c.prefix
            window = dict(partition_by=[column(f"{p}employee"), column(f"{p}role")],
                          order=exp.Order(expressions=[exp.Ordered(this=column(f"{p}ord"))]))
            lag_ord = exp.Window(this=exp.Lag(this=column(f"{p}ord")), **window)
            lag_value = exp.Window(this=exp.Lag(this=column(decl.name)), **window)
            previous_ord = exp.Sub(this=column(f"{p}ord"), expression=exp.Literal.number(1))
            adjacent = exp.EQ(this=lag_ord, expression=previous_ord)
            self.c.values.define(prev_name, exp.Case(ifs=[exp.If(this=adjacent, true=lag_value)]))
            self.c.exports.append(prev_name)
        return Operand(column(prev_name))

    def year_to_date(self, name: ast.Name) -> Operand:
        """A fact summed over the employee's (role's) periods of this year up to this one; NULL
        unless it has a value in every one of them from the year's first period (a sum
        over a year the data only partly holds would be paid as if it were the year's)."""
        decl = self.series(name)
        if not isinstance(decl, ast.Fact):
            raise CompileError(f"`ytd` needs the name of a fact, not `{decl.name}`", name.span)
        ytd_name = f"{self.c.prefix}ytd_{decl.name}"
        if ytd_name not in self.c.values.stage_of:
            p = self.c.prefix
            year = year_of(column(f"{p}period"))
            frame = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
            window = dict(partition_by=[column(f"{p}employee"), column(f"{p}role"), year],
                          order=exp.Order(expressions=[exp.Ordered(this=column(f"{p}ord"))]), spec=frame)
            known = exp.Window(this=exp.Count(this=column(decl.name)), **window)
            total = exp.Window(this=exp.Sum(this=column(decl.name)), **window)
            since_january = self.c.position_in_year(column(f"{p}ord"))
            self.c.values.define(ytd_name, exp.Case(ifs=[exp.If(this=exp.EQ(this=known, expression=since_january),
                                                                true=total)]))
            self.c.exports.append(ytd_name)
        return Operand(column(ytd_name))

    def department(self, name: ast.Name) -> Operand:
        """The department row's value of a fact or metric in the same period, on every row of it
        (the department row is the one whose employee is NULL)."""
        decl = self.series(name)
        if isinstance(decl, ast.Goal):  # the same for everyone
            return self.ensure(decl)
        self.ensure(decl)
        dept_name = f"{self.c.prefix}dept_{decl.name}"
        if dept_name not in self.c.values.stage_of:
            p = self.c.prefix
            own = exp.Case(ifs=[exp.If(this=exp.Is(this=column(f"{p}employee"), expression=exp.Null()),
                                       true=column(decl.name))])
            self.c.values.define(dept_name, exp.Window(this=exp.Max(this=own), partition_by=[column(f"{p}period")]))
            self.c.exports.append(dept_name)
        return Operand(column(dept_name))


class LocalScope:
    """Names bound for one KPI line (scoring inputs, scheme results) over the ruleset's values."""

    def __init__(self, values: ValueScope, names: dict[str, Operand]) -> None:
        self.values = values
        self.names = names

    def resolve(self, name: ast.Name) -> Operand:
        return self.names[name.name] if name.name in self.names else self.values.resolve(name)

    def previous(self, name: ast.Name) -> Operand:
        return self.values.previous(name)

    def year_to_date(self, name: ast.Name) -> Operand:
        return self.values.year_to_date(name)

    def department(self, name: ast.Name) -> Operand:
        return self.values.department(name)
