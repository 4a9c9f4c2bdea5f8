"""One scenario's state: the ruleset, the facts, the period, and what came out.

The steps fill it (`Given`), run the real pipeline through the `kpidsl.api`
facade (`When`), and look things up in the results (`Then`).  Facts, staff and raw
records written as data tables are saved to CSV files in a temporary folder and
read by the normal loaders (`--roster` and `--source` for the last two), so a spec
exercises exactly the path `kpidsl eval` takes.
Diagnostics about a ruleset or facts table written inside the feature point
back at the feature file's own lines.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpidsl.api import Checked, EvalOptions, Evaluation, check_file, evaluate
from kpidsl.base.diagnostics import DataLocation, Diagnostic, Severity, SourceCache, Span, render_human
from kpidsl.results.model import EmployeeResult, Finding, KpiResult, Results
from kpidsl.specs.numbers import NumberError, canonical, is_missing
from kpidsl.specs.words import FACT_COLUMNS, Lang, listing, msg

NO_VALUE = "н/д"  # the facts loader's mark for a value missing on purpose (data/facts.NO_DATA_MARKS)


class SpecError(AssertionError):
    """A spec cannot be run as written (an authoring mistake, said in business words)."""


@dataclass
class _Table:
    """A facts table from the feature: its rows and the feature line of its header."""

    rows: list[list[str]]
    line: int


@dataclass(repr=False)
class SpecContext:
    """Everything one scenario has given, done and got."""

    base_dir: Path  # the feature file's folder: relative paths start here
    feature_file: Path | None  # None outside a feature (unit tests of the steps)
    make_tmp: Callable[[], Path]  # a fresh temporary folder, made on first use
    lang: Lang = "ru"
    step_line: int = 0  # the feature line of the step being run
    ruleset_path: Path | None = None
    ruleset_text: str | None = None
    ruleset_line: int = 0  # the feature line of the step that gave the ruleset text
    fact_files: list[Path] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)
    roster: Path | None = None  # the staff file (`--roster`), given or written from a table
    records: dict[str, tuple[Path, int]] = field(default_factory=dict)  # records name or title → file, step line
    period: str | None = None
    checked: Checked | None = None
    evaluation: Evaluation | None = None
    diagnostics: list[Diagnostic] | None = None  # of the last check or calculation
    sources: SourceCache = field(default_factory=SourceCache)
    _tmp: Path | None = None
    _row_lines: dict[tuple[str, int], int] = field(default_factory=dict)  # (CSV file, row) → feature line
    _table_lines: dict[str, int] = field(default_factory=dict)  # CSV file → the feature line of its step

    def __repr__(self) -> str:  # short: it appears in pytest's failure output
        return f"<spec {self.feature_file or self.base_dir}:{self.step_line}>"

    # ------------------------------------------------------------------ given
    def _given_file(self, path: str, missing: str) -> Path:
        """A file a Given step names, relative to the feature's folder; `missing` says it is not there."""
        target = self.base_dir / path
        if not target.is_file():
            raise SpecError(msg(missing, self.lang, path=target))
        return target

    def use_ruleset_file(self, path: str) -> None:
        self.ruleset_path, self.ruleset_text = self._given_file(path, "ruleset_missing_file"), None

    def use_ruleset_text(self, text: str) -> None:
        # A name beside the feature, so `import "../x"` resolves from the feature's folder.
        stem = self.feature_file.stem if self.feature_file else "spec"
        self.ruleset_path = self.base_dir / f"{stem}.line{self.step_line}.kpi"
        self.ruleset_text, self.ruleset_line = text, self.step_line

    def add_fact_file(self, path: str) -> None:
        self.fact_files.append(self._given_file(path, "facts_missing_file"))

    def add_fact_table(self, rows: list[list[str]]) -> None:
        self.tables.append(_Table([list(r) for r in rows], self.step_line))

    def use_roster_file(self, path: str) -> None:
        self.roster = self._given_file(path, "roster_missing_file")

    def use_roster_table(self, rows: list[list[str]]) -> None:
        self.roster = self._write_verbatim(_Table([list(r) for r in rows], self.step_line), "staff")

    def add_records_file(self, source: str, path: str) -> None:
        self.records[source] = (self._given_file(path, "records_missing_file"), self.step_line)

    def add_records_table(self, source: str, rows: list[list[str]]) -> None:
        if not rows or not any(cell.strip() for cell in rows[0]):
            raise SpecError(msg("records_no_header", self.lang, line=self.step_line))
        table = _Table([list(r) for r in rows], self.step_line)
        self.records[source] = (self._write_verbatim(table, "records"), self.step_line)

    # ------------------------------------------------------------------ when
    def check(self) -> Checked:
        path = self._ruleset()
        self.checked = check_file(path, text=self.ruleset_text)
        self.evaluation = None
        self.diagnostics = self._relocate(self.checked.diagnostics, self.checked.sources)
        return self.checked

    def evaluate(self) -> Evaluation:
        path = self._ruleset()
        files = [*self.fact_files, *(self._write_table(t, i) for i, t in enumerate(self.tables, 1))]
        options = EvalOptions(period=self.period, roster=None if self.roster is None else str(self.roster),
                              records=self._records_files())
        self.evaluation = evaluate(path, [str(f) for f in files], options, text=self.ruleset_text)
        self.checked = None
        self.diagnostics = self._relocate(self.evaluation.diagnostics, self.evaluation.sources)
        return self.evaluation

    # ------------------------------------------------------------------ then
    def results(self) -> Results:
        if self.evaluation is None:
            raise SpecError(msg("not_evaluated", self.lang))
        if self.evaluation.results is None or not self.evaluation.ok:
            errors = [d for d in self.diagnostics or [] if d.is_error]
            # the data's warnings often say why (a misspelled fact behind D042)
            raise SpecError(msg("eval_failed", self.lang, diagnostics=self.render(errors))
                            + self._data_notes(warnings_only=True))
        return self.evaluation.results

    def current_period(self) -> str:
        results = self.results()
        if self.period is not None:
            if self.period not in results.periods:
                raise SpecError(msg("period_not_in_data", self.lang, period=self.period,
                                    known=", ".join(results.periods)) + self._data_notes())
            return self.period
        if not results.periods:
            raise SpecError(msg("no_period", self.lang) + self._data_notes())
        return results.periods[-1]  # no period given: the latest one in the data

    def employee(self, name: str) -> EmployeeResult:
        period = self.current_period()
        rows = self.results().for_period(period)
        wanted = _norm(name)
        for row in rows:
            if _norm(row.employee) == wanted:
                return row
        raise SpecError(msg("unknown_employee", self.lang, employee=name, period=period,
                            known=listing([r.employee for r in rows], self.lang)) + self._data_notes())

    def kpi(self, employee: str, name: str) -> KpiResult:
        row = self.employee(employee)
        wanted = _norm(name)
        exact = [k for k in row.kpis if wanted in (_norm(k.kpi), _norm(k.title))]
        # "ROMI" names the KPI titled "ROMI — окупаемость маркетинговых инвестиций".
        short = [k for k in row.kpis if _norm(k.title.split(" — ")[0]) == wanted]
        found = exact or short
        if len(found) == 1:
            return found[0]
        known = [k.title.split(" — ")[0] or k.kpi for k in (found or row.kpis)]
        key = "ambiguous_kpi" if found else "unknown_kpi"
        raise SpecError(msg(key, self.lang, kpi=name, employee=row.employee, known=listing(known, self.lang)))

    def findings(self, rule: str) -> list[Finding]:
        """The findings of rule `rule` (name or title) in the current period."""
        results, period = self.results(), self.current_period()
        names = self._declared("rules")
        wanted = _norm(rule)
        matching = {n for n, title in names.items() if wanted in (_norm(n), _norm(title))}
        if not matching:
            raise SpecError(msg("unknown_rule", self.lang, rule=rule,
                                known=listing(sorted(t or n for n, t in names.items()), self.lang)))
        return [f for f in results.findings if f.period == period and f.rule in matching]

    def render(self, diagnostics: list[Diagnostic]) -> str:
        if not diagnostics:
            return "  " + msg("no_diagnostics", self.lang)
        return "\n".join("  " + render_human(d, self.sources).replace("\n", "\n  ") for d in diagnostics)

    # ------------------------------------------------------------------ helpers
    def _data_notes(self, warnings_only: bool = False) -> str:
        """What the facts loader and the engine said, when a lookup fails: often the reason."""
        notes = [d for d in reportable(self.diagnostics or []) if d.code[:1] in ("D", "E")
                 and not (warnings_only and d.is_error)]
        return "\n" + msg("data_notes", self.lang) + "\n" + self.render(notes) if notes else ""

    def _ruleset(self) -> Path:
        if self.ruleset_path is None:
            raise SpecError(msg("no_ruleset", self.lang))
        return self.ruleset_path

    def _declared(self, kind: str) -> dict[str, str]:
        """Name → title of the ruleset's `rules` or `records`, for names a spec may write either way."""
        from kpidsl.language.load import load

        model, _ = load(self._ruleset(), SourceCache(), text=self.ruleset_text)
        return {name: decl.title or "" for name, decl in getattr(model, kind).items()} if model else {}

    def _records_files(self) -> dict[str, str]:
        """The records given in the spec, by the ruleset's names (a spec may write a title)."""
        if not self.records:
            return {}
        declared = self._declared("records")
        files: dict[str, str] = {}
        for written, (path, line) in self.records.items():
            wanted = _norm(written)
            name = next((n for n, title in declared.items() if wanted in (_norm(n), _norm(title))), None)
            if name is None:
                known = [f"{n} ({t})" if t else n for n, t in sorted(declared.items())]
                raise SpecError(msg("unknown_records", self.lang, source=written, line=line,
                                    known=listing(known, self.lang)))
            files[name] = str(path)
        return files

    def _write_verbatim(self, table: _Table, kind: str) -> Path:
        """A table saved as CSV cell for cell (header included), for a loader that reads raw exports."""
        path = self._tmpdir() / f"{kind}-line{table.line}.csv"
        self._table_lines[str(path)] = table.line
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            for row_number, row in enumerate(table.rows, 1):  # the header row is right below the step
                writer.writerow([cell.strip() for cell in row])
                self._row_lines[(str(path), row_number)] = table.line + row_number
        return path

    def _tmpdir(self) -> Path:
        if self._tmp is None:
            self._tmp = self.make_tmp()
        return self._tmp

    def _write_table(self, table: _Table, number: int) -> Path:
        """A facts table as a long-form CSV (period, employee, fact, value) for the loader.
        A missing value is written as the loader's explicit mark: the table names the fact,
        so the KPI shows *no data*; a fact the table does not name at all is error D042."""
        header = [FACT_COLUMNS.get(_norm(h), h.strip()) for h in table.rows[0]] if table.rows else []
        body = table.rows[1:]
        out: list[tuple[list[str], int]] = []  # CSV row, feature line
        if "value" in header and "fact" in header:
            cells = [(dict(zip(header, row, strict=True)), row[header.index("fact")], row[header.index("value")], i)
                     for i, row in enumerate(body, 1)]
        elif any(h not in ("period", "employee") for h in header):
            facts = [h for h in header if h not in ("period", "employee")]
            cells = [(dict(zip(header, row, strict=True)), fact, row[header.index(fact)], i)
                     for i, row in enumerate(body, 1) for fact in facts]
        else:
            raise SpecError(msg("facts_no_value", self.lang, line=table.line))
        for record, fact, value, i in cells:
            line = table.line + 1 + i  # the header row is right below the step
            period = record.get("period", "").strip() or self.period
            if not period:
                raise SpecError(msg("facts_no_period", self.lang, line=table.line))
            if is_missing(value):  # an empty cell, "—" or "нет данных": named, without a value
                value = NO_VALUE
            else:
                try:
                    value = canonical(value, self.lang)
                except NumberError:
                    problem = msg("bad_number", self.lang, text=value)
                    raise SpecError(msg("facts_bad_value", self.lang, line=line, fact=fact, problem=problem)) from None
            out.append(([period, record.get("employee", "").strip(), fact.strip(), value], line))
        path = self._tmpdir() / f"facts-line{table.line}-{number}.csv"
        self._table_lines[str(path)] = table.line
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["period", "employee", "fact", "value"])
            for row_number, (row, line) in enumerate(out, 2):
                writer.writerow(row)
                self._row_lines[(str(path), row_number)] = line
        return path

    def _relocate(self, diagnostics: list[Diagnostic], sources: SourceCache) -> list[Diagnostic]:
        """Point diagnostics about text written inside the feature at the feature's lines."""
        self.sources = sources
        feature = self.feature_file
        if feature is None:
            return list(diagnostics)
        text = feature.read_text(encoding="utf-8")
        shown = _shown(feature)
        self.sources.add(shown, text)
        lines = text.splitlines()
        indent = 0
        if self.ruleset_text is not None and self.ruleset_line < len(lines):
            opener = lines[self.ruleset_line]  # the line after the step: the docstring's opening quotes
            indent = len(opener) - len(opener.lstrip())
        out = []
        for d in diagnostics:
            loc = d.location
            if (isinstance(loc, Span) and self.ruleset_text is not None and self.ruleset_path is not None
                    and loc.file == str(self.ruleset_path)):
                shift = self.ruleset_line + 1  # docstring text starts two lines below the step
                loc = Span(shown, loc.line + shift, loc.column + indent,
                           None if loc.end_line is None else loc.end_line + shift,
                           None if loc.end_column is None else loc.end_column + indent)
                d = dataclasses.replace(d, location=loc)
            elif isinstance(loc, DataLocation) and loc.file in self._table_lines:
                line = self._row_lines.get((loc.file, loc.row or 0), self._table_lines[loc.file])
                d = dataclasses.replace(d, location=DataLocation(shown, line, loc.column))
            out.append(d)
        return out


def _shown(path: Path) -> str:
    """A path as the reader knows it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def reportable(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Errors and warnings: what "no diagnostics" means in a spec (hints are advice)."""
    return [d for d in diagnostics if d.severity in (Severity.ERROR, Severity.WARNING)]
