"""The step library: every step a spec may use, in Russian and English.

Each function is declared with `step_def` (templates.py) under its Russian and
English wording, and does its work through the scenario's `SpecContext`: Given
steps collect the ruleset, facts and period, When steps run the real pipeline,
Then steps compare the results with what the spec states and fail with a message
in the spec's language ("Ожидалась премия …, получено …").
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from kpidsl.specs.context import SpecContext, SpecError, reportable
from kpidsl.specs.numbers import (
    format_number,
    is_missing,
    money_matches,
    ratio_matches,
)
from kpidsl.specs.steps_numbers import expect_number, mismatch  # also declares the numeric steps
from kpidsl.specs.templates import step_def
from kpidsl.specs.words import (
    MONEY_FIELDS,
    STATUS_WORDS,
    TABLE_HEADERS,
    expected_phrase,
    listing,
    msg,
    status_from_words,
    status_words,
)


# ---------------------------------------------------------------- given
@step_def("ruleset_file", "given", "правила из файла «{path}»", 'the ruleset in file "{path}"',
          "Правила клиента из файла; путь — от папки, где лежит спецификация.",
          "The client's ruleset from a file; the path is relative to the spec's folder.")
def _ruleset_file(ctx: SpecContext, path: str) -> None:
    ctx.use_ruleset_file(path)


@step_def("ruleset_text", "given", "правила:", "the ruleset:",
          "Текст правил прямо в спецификации (в тройных кавычках ниже шага); `import std/marketing` работает.",
          "The ruleset's text inside the spec (triple-quoted below the step); `import std/marketing` works.",
          text=True)
def _ruleset_text(ctx: SpecContext, docstring: str) -> None:
    ctx.use_ruleset_text(docstring)


@step_def("facts_table", "given", "факты:", "the facts:",
          "Факты таблицей: длинная форма (период | сотрудник | показатель | значение) или широкая "
          "(период | название факта | название факта …). Столбцы «период» и «сотрудник» можно опустить; "
          "пустая ячейка или «нет данных» — значения нет.",
          "Facts as a table: long (period | employee | fact | value) or wide (period | fact name | fact name …). "
          "The period and employee columns may be left out; an empty cell or \"no data\" is a missing value.",
          table=True)
def _facts_table(ctx: SpecContext, datatable: list[list[str]]) -> None:
    ctx.add_fact_table(datatable)


@step_def("facts_file", "given", "факты из файла «{path}»", 'the facts in file "{path}"',
          "Факты из выгрузки клиента (CSV, XLSX, JSON, Parquet); путь — от папки спецификации.",
          "Facts from the client's export (CSV, XLSX, JSON, Parquet); the path is relative to the spec's folder.")
def _facts_file(ctx: SpecContext, path: str) -> None:
    ctx.add_fact_file(path)


@step_def("roster_file", "given", "сотрудники из файла «{path}»", 'the staff in file "{path}"',
          "Список сотрудников и их ролей (столбцы «сотрудник» и «роль»), как `--roster`; путь — от папки "
          "спецификации.",
          "The staff and their roles (columns employee and role), as `--roster`; the path is relative to the "
          "spec's folder.")
def _roster_file(ctx: SpecContext, path: str) -> None:
    ctx.use_roster_file(path)


@step_def("roster_table", "given", "сотрудники:", "the staff:",
          "Список сотрудников таблицей: сотрудник | роль (роль — её имя в правилах), как `--roster`.",
          "The staff as a table: employee | role (the role's name in the ruleset), as `--roster`.",
          table=True)
def _roster_table(ctx: SpecContext, datatable: list[list[str]]) -> None:
    ctx.use_roster_table(datatable)


@step_def("records_file", "given", "записи «{source}» из файла «{path}»", 'the records "{source}" in file "{path}"',
          "Сырые записи (сделки, лиды, расходы) из выгрузки вместо файла, указанного в правилах, как "
          "`--source`; записи называются по имени или названию из правил.",
          "Raw records (deals, leads, spend) from an export instead of the file the ruleset names, as "
          "`--source`; the records are named by their name or title in the ruleset.")
def _records_file(ctx: SpecContext, source: str, path: str) -> None:
    ctx.add_records_file(source, path)


@step_def("records_table", "given", "записи «{source}»:", 'the records "{source}":',
          "Сырые записи таблицей, как строки выгрузки: первая строка — названия столбцов, как в правилах "
          "(дата, сотрудник, сумма, статус …); числа — 1234.50 или 1 234,50, даты — 30.09.2026 или 2026-09-30.",
          "Raw records as a table, like the export's rows: the first row names the columns as the ruleset does "
          "(date, employee, amount, status …); numbers as 1234.50 or 1 234,50, dates as 2026-09-30 or 30.09.2026.",
          table=True)
def _records_table(ctx: SpecContext, source: str, datatable: list[list[str]]) -> None:
    ctx.add_records_table(source, datatable)


@step_def("period", "given", "период {period}", "the period {period}",
          "Расчётный период: 2026Q3, 2026-09 или 2026. Без этого шага — последний период в данных.",
          "The period to calculate: 2026Q3, 2026-09 or 2026. Without it: the latest period in the data.")
def _period(ctx: SpecContext, period: str) -> None:
    ctx.period = period


# ---------------------------------------------------------------- when
@step_def("evaluate", "when", "рассчитываются KPI и премии", "the KPIs and bonuses are calculated",
          "Рассчитать правила по фактам, как `kpidsl eval`.",
          "Evaluate the ruleset over the facts, as `kpidsl eval` does.")
def _evaluate(ctx: SpecContext) -> None:
    ctx.evaluate()


@step_def("check", "when", "правила проверяются", "the ruleset is checked",
          "Проверить правила, как `kpidsl check` (без данных).",
          "Check the ruleset, as `kpidsl check` does (no data needed).")
def _check(ctx: SpecContext) -> None:
    ctx.check()


# ---------------------------------------------------------------- then: statuses
@step_def("kpi_status", "then", "KPI «{kpi}» у сотрудника «{employee}» имеет статус «{status}»",
          'KPI "{kpi}" of "{employee}" has status "{status}"',
          "Статус KPI: «выполнен», «не выполнен», «заблокирован условием качества» или «нет данных».",
          'The KPI\'s status: "met", "missed", "gated by a quality condition" or "no data".')
def _kpi_status(ctx: SpecContext, kpi: str, employee: str, status: str) -> None:
    result = ctx.kpi(employee, kpi)
    wanted = _expect_status(ctx, status)
    if result.status != wanted:
        raise AssertionError(_statusmismatch(ctx, kpi, employee, wanted, result.status, result.problems))


def _expect_status(ctx: SpecContext, text: str) -> str:
    wanted = status_from_words(text)
    if wanted is None:
        known = listing([w[ctx.lang] for w in STATUS_WORDS.values()], ctx.lang)
        raise SpecError(msg("bad_status", ctx.lang, text=text, known=known))
    return wanted


def _statusmismatch(ctx: SpecContext, kpi: str, employee: str, wanted: str, actual: str,
                     why: tuple[str, ...]) -> str:
    lang = ctx.lang
    text = msg("mismatch", lang, expected_phrase=expected_phrase("status", lang),
               subject=msg("of_kpi", lang, kpi=kpi, employee=employee),
               expected=f"«{status_words(wanted, lang)}»" if lang == "ru" else f'"{status_words(wanted, lang)}"',
               actual=f"«{status_words(actual, lang)}»" if lang == "ru" else f'"{status_words(actual, lang)}"')
    return text + (msg("why_missing", lang, why="; ".join(why)) if why and actual == "no_data" else "")


@step_def("kpi_table", "then", "результаты сотрудника «{employee}» по KPI:", 'the KPI results of "{employee}" are:',
          "Таблица результатов по KPI. Первый столбец — KPI; остальные на выбор: цель, факт, базовое значение, "
          "вес, выполнение, индекс, плановый индекс, отклонение, плановая премия, премия, статус. "
          "Пустая ячейка не проверяется; «нет данных» — значения быть не должно.",
          "A table of KPI results. The first column is the KPI; the others any of: target, fact, baseline, "
          "weight, attainment, index, planned index, deviation, planned bonus, bonus, status. "
          "An empty cell is not checked; \"no data\" means there must be no value.",
          table=True)
def _kpi_table(ctx: SpecContext, employee: str, datatable: list[list[str]]) -> None:
    lang = ctx.lang
    header = [" ".join(h.split()).casefold() for h in datatable[0]]
    fields = [TABLE_HEADERS.get(h) for h in header]
    if not fields or fields[0] != "kpi":
        raise SpecError(msg("table_no_kpi_column", lang))
    for column, known in zip(datatable[0], fields, strict=True):
        if known is None:
            names = sorted({h for h, f in TABLE_HEADERS.items() if f != "kpi" and h.isascii() == (lang == "en")})
            raise SpecError(msg("table_unknown_column", lang, column=column, known=", ".join(names)))
    problems: list[str] = []
    for row in datatable[1:]:
        kpi = row[0].strip()
        result = ctx.kpi(employee, kpi)
        subject = msg("of_kpi", lang, kpi=kpi, employee=employee)
        for field, cell in zip(fields[1:], row[1:], strict=True):
            assert field is not None
            cell = cell.strip()
            if not cell:
                continue
            if field == "status":
                wanted = _expect_status(ctx, cell)
                if result.status != wanted:
                    problems.append(_statusmismatch(ctx, kpi, employee, wanted, result.status, result.problems))
                continue
            actual: Decimal | None = getattr(result, field)
            if is_missing(cell):
                if actual is not None:
                    problems.append(msg("mismatch", lang, expected_phrase=expected_phrase(field, lang),
                                        subject=subject, expected=format_number(None, lang),
                                        actual=format_number(actual, lang)))
                continue
            money = field in MONEY_FIELDS
            expected = expect_number(ctx, cell, money)
            ok = money_matches(actual, expected) if money else ratio_matches(actual, expected)
            if not ok:
                subject_here = msg("of_kpi_bonus", lang, kpi=kpi, employee=employee) if field == "bonus" else subject
                problems.append(mismatch(ctx, field, subject_here, expected, actual, result.problems))
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise AssertionError(msg("table_failed", lang, employee=employee, lines=lines))


# ---------------------------------------------------------------- then: conditions and actions
def _gate_text(ctx: SpecContext, gates: tuple[Any, ...]) -> str:
    unknown = msg("gate_unknown", ctx.lang)
    return "; ".join(f"{g.condition}" + (f" ({unknown})" if g.passed is None else "") for g in gates)


def _kpi_gates(ctx: SpecContext, kpi: str, employee: str) -> tuple[Any, ...]:
    result = ctx.kpi(employee, kpi)
    if not result.gates:
        raise SpecError(msg("no_gate", ctx.lang, kpi=kpi, employee=employee))
    return result.gates


@step_def("gate_fails", "then", "условие качества KPI «{kpi}» у сотрудника «{employee}» не выполнено",
          'the quality condition of KPI "{kpi}" for "{employee}" fails',
          "Условие качества (require) KPI не выполнено — премия по этому KPI не платится. "
          "Условие, которое нельзя проверить из-за нехватки данных, тоже считается невыполненным.",
          "The KPI's quality condition (require) fails, so that KPI's bonus is not paid. "
          "A condition that cannot be evaluated for lack of data counts as failed.")
def _gate_fails(ctx: SpecContext, kpi: str, employee: str) -> None:
    gates = _kpi_gates(ctx, kpi, employee)
    if all(g.passed for g in gates):
        raise AssertionError(msg("gate_held", ctx.lang, kpi=kpi, employee=employee,
                                 conditions=_gate_text(ctx, gates)))


@step_def("gate_holds", "then", "условие качества KPI «{kpi}» у сотрудника «{employee}» выполнено",
          'the quality condition of KPI "{kpi}" for "{employee}" holds',
          "Условие качества KPI выполнено.",
          "The KPI's quality condition holds.")
def _gate_holds(ctx: SpecContext, kpi: str, employee: str) -> None:
    gates = _kpi_gates(ctx, kpi, employee)
    if not all(g.passed for g in gates):
        failed = tuple(g for g in gates if not g.passed)
        raise AssertionError(msg("gate_failed", ctx.lang, kpi=kpi, employee=employee,
                                 conditions=_gate_text(ctx, failed)))


@step_def("role_gate_fails", "then", "условие качества на всю премию сотрудника «{employee}» не выполнено",
          'the quality condition on the whole bonus of "{employee}" fails',
          "Условие качества, записанное для всей роли, не выполнено — премия не платится целиком.",
          "A quality condition on the whole role fails, so no bonus is paid at all.")
def _role_gate_fails(ctx: SpecContext, employee: str) -> None:
    row = ctx.employee(employee)
    if not row.gates:
        raise SpecError(msg("no_role_gate", ctx.lang, employee=employee))
    if all(g.passed for g in row.gates):
        raise AssertionError(msg("role_gate_held", ctx.lang, employee=employee,
                                 conditions=_gate_text(ctx, row.gates)))


def _norm_words(text: str) -> str:
    return " ".join(re.sub(r"[`«»\"“”„']", "", text).split()).casefold()


@step_def("action", "then", "по KPI «{kpi}» у сотрудника «{employee}» предложена мера «{action}»",
          'the corrective action "{action}" is proposed for KPI "{kpi}" of "{employee}"',
          "Корректирующая мера из правил предложена; достаточно начала или части её текста.",
          "A corrective action from the ruleset is proposed; a part of its text is enough.")
def _action(ctx: SpecContext, kpi: str, employee: str, action: str) -> None:
    result = ctx.kpi(employee, kpi)
    if not any(_norm_words(action) in _norm_words(a) for a in result.actions):
        raise AssertionError(msg("action_missing", ctx.lang, action=action, kpi=kpi, employee=employee,
                                 actions=listing(list(result.actions), ctx.lang)))


@step_def("no_action", "then", "по KPI «{kpi}» у сотрудника «{employee}» мер не предложено",
          'no corrective action is proposed for KPI "{kpi}" of "{employee}"',
          "Корректирующих мер по KPI нет.",
          "No corrective action is proposed for the KPI.")
def _no_action(ctx: SpecContext, kpi: str, employee: str) -> None:
    result = ctx.kpi(employee, kpi)
    if result.actions:
        raise AssertionError(msg("action_present", ctx.lang, kpi=kpi, employee=employee,
                                 actions=listing(list(result.actions), ctx.lang)))


@step_def("rule_fires", "then", "срабатывает правило «{rule}»", 'the rule "{rule}" fires',
          "Правило всего набора (rule) сработало в расчётном периоде; правило — по имени или названию.",
          "A ruleset-wide rule fired in the period; the rule by its name or title.")
def _rule_fires(ctx: SpecContext, rule: str) -> None:
    if not ctx.findings(rule):
        raise AssertionError(msg("rule_not_fired", ctx.lang, rule=rule, period=ctx.current_period()))


@step_def("rule_silent", "then", "правило «{rule}» не срабатывает", 'the rule "{rule}" does not fire',
          "Правило в расчётном периоде не сработало.",
          "The rule did not fire in the period.")
def _rule_silent(ctx: SpecContext, rule: str) -> None:
    fired = ctx.findings(rule)
    if fired:
        raise AssertionError(msg("rule_fired", ctx.lang, rule=rule, period=ctx.current_period(),
                                 message=fired[0].message))


# ---------------------------------------------------------------- then: diagnostics
def _diagnostics(ctx: SpecContext) -> list[Any]:
    if ctx.diagnostics is None:
        raise SpecError(msg("not_checked", ctx.lang))
    return ctx.diagnostics


def _codes(ctx: SpecContext, diagnostics: list[Any]) -> str:
    if not diagnostics:
        return msg("nothing", ctx.lang)
    return "; ".join(f"{d.code} {d.message}" for d in diagnostics)


@step_def("diag_code", "then", "сообщается замечание {code}", "the diagnostic {code} is reported",
          "Проверка или расчёт сообщили замечание с этим кодом (коды — в docs/language.md).",
          "The check or the calculation reported a diagnostic with this code (codes: docs/language.md).")
def _diag_code(ctx: SpecContext, code: str) -> None:
    found = _diagnostics(ctx)
    if not any(d.code == code for d in found):
        raise AssertionError(msg("diag_missing_code", ctx.lang, code=code, found=_codes(ctx, found)))


@step_def("diag_text", "then", "сообщается замечание «{text}»", 'a diagnostic saying "{text}" is reported',
          "Сообщено замечание, в тексте или подсказке которого есть эти слова (регистр и кавычки не важны).",
          "A diagnostic whose message or hint contains these words (case and quotes do not matter).")
def _diag_text(ctx: SpecContext, text: str) -> None:
    found = _diagnostics(ctx)
    wanted = _norm_words(text)
    if not any(wanted in _norm_words(f"{d.message} {d.hint or ''}") for d in found):
        raise AssertionError(msg("diag_missing_text", ctx.lang, text=text, found=_codes(ctx, found)))


@step_def("no_diag_code", "then", "замечание {code} не сообщается", "the diagnostic {code} is not reported",
          "Замечания с этим кодом нет.",
          "No diagnostic with this code.")
def _no_diag_code(ctx: SpecContext, code: str) -> None:
    found = [d for d in _diagnostics(ctx) if d.code == code]
    if found:
        raise AssertionError(msg("diag_present_code", ctx.lang, code=code, found=ctx.render(found)))


@step_def("clean", "then", "ошибок и предупреждений нет", "there are no errors or warnings",
          "Ни ошибок, ни предупреждений (подсказки — это советы, они не считаются).",
          "Neither errors nor warnings (hints are advice and do not count).")
def _clean(ctx: SpecContext) -> None:
    found = reportable(_diagnostics(ctx))
    if found:
        raise AssertionError(msg("diag_present_any", ctx.lang, found=ctx.render(found)))


