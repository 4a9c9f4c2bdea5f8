"""The step library's numeric checks: an employee's bonus and total index, a KPI's bonus,
index, deviation and attainment — each compared exactly (money to the cent) or to the
precision the spec writes, with the failure said in the spec's language.

Imported by `steps.py` (which re-uses `expect_number` and `mismatch` for the results
table); importing it declares its steps.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from kpidsl.results.model import EmployeeResult
from kpidsl.specs.context import SpecContext, SpecError
from kpidsl.specs.numbers import (
    NumberError,
    SpecNumber,
    format_like,
    format_number,
    money_matches,
    parse_number,
    ratio_matches,
    round_to,
)
from kpidsl.specs.templates import step_def
from kpidsl.specs.words import MONEY_FIELDS, expected_phrase, msg

__all__ = ["expect_number", "mismatch"]


def expect_number(ctx: SpecContext, text: str, money: bool) -> SpecNumber:
    try:
        number = parse_number(text, ctx.lang)
    except NumberError:
        raise SpecError(msg("bad_number", ctx.lang, text=text)) from None
    if money and number.percent:
        raise SpecError(msg("money_percent", ctx.lang, text=text))
    return number


def mismatch(ctx: SpecContext, field: str, subject: str, expected: SpecNumber, actual: Decimal | None,
              why: tuple[str, ...] = ()) -> str:
    lang = ctx.lang
    money = field in MONEY_FIELDS
    shown = format_number(actual, lang, 2) if money and actual is not None else format_like(actual, expected, lang)
    if actual is not None and not money and round_to(actual, expected.decimals) != actual:
        shown += msg("exact", lang, value=format_number(actual, lang, percent=expected.percent))
    if actual is None and why:
        shown += msg("why_missing", lang, why="; ".join(why))
    want = format_number(expected.value, lang, 2) if money else format_like(expected.value, expected, lang)
    return msg("mismatch", lang, expected_phrase=expected_phrase(field, lang), subject=subject,
               expected=want, actual=shown)


def _kpi_number(ctx: SpecContext, field: str, kpi: str, employee: str, value: str) -> None:
    result = ctx.kpi(employee, kpi)
    money = field in MONEY_FIELDS
    expected = expect_number(ctx, value, money)
    actual: Decimal | None = getattr(result, field)
    ok = money_matches(actual, expected) if money else ratio_matches(actual, expected)
    if not ok:
        subject_key = "of_kpi_bonus" if field == "bonus" else "of_kpi"
        subject = msg(subject_key, ctx.lang, kpi=kpi, employee=employee)
        raise AssertionError(mismatch(ctx, field, subject, expected, actual, result.problems))


@step_def("employee_bonus", "then", "премия сотрудника «{employee}» составляет {amount}",
          'the bonus of "{employee}" is {amount}',
          "Итоговая премия сотрудника за период — точно, до копейки.",
          "The employee's total bonus for the period — exact, to the cent.")
def _employee_bonus(ctx: SpecContext, employee: str, amount: str) -> None:
    _employee_money(ctx, "bonus", employee, amount, lambda row: row.bonus)


@step_def("employee_plan_bonus", "then", "плановая премия сотрудника «{employee}» составляет {amount}",
          'the planned bonus of "{employee}" is {amount}',
          "Плановая премия сотрудника за период: сумма плановых премий KPI или, у роли с формулой премии "
          "(`payout`), её значение при выполнении каждого KPI ровно на 100 %.",
          "The employee's planned bonus: the sum of the KPIs' planned bonuses or, for a role with a payout, "
          "the payout with every KPI exactly on plan.")
def _employee_plan_bonus(ctx: SpecContext, employee: str, amount: str) -> None:
    _employee_money(ctx, "plan_bonus", employee, amount, lambda row: row.plan_bonus)


def _employee_money(ctx: SpecContext, field: str, employee: str, amount: str,
                    read: Callable[[EmployeeResult], Decimal]) -> None:
    row = ctx.employee(employee)
    expected = expect_number(ctx, amount, money=True)
    if not money_matches(read(row), expected):
        subject = msg("of_employee", ctx.lang, employee=employee)
        raise AssertionError(mismatch(ctx, field, subject, expected, read(row)))


@step_def("employee_index", "then", "итоговый коэффициент сотрудника «{employee}» равен {value}",
          'the total index of "{employee}" is {value}',
          "Итоговый коэффициент выполнения: сумма индексов KPI сотрудника (KPI с невыполненным условием "
          "качества даёт 0). Сравнивается с точностью, с которой записано число.",
          "The employee's total index: the sum of the KPIs' indices (a KPI whose quality condition failed "
          "counts 0). Compared to the precision the number is written with.")
def _employee_index(ctx: SpecContext, employee: str, value: str) -> None:
    _employee_ratio(ctx, "total_index", employee, value, lambda row: row.index)


@step_def("employee_index_unknown", "then", "итоговый коэффициент сотрудника «{employee}» неизвестен",
          'the total index of "{employee}" is unknown',
          "Коэффициент неизвестен, если неизвестен индекс хотя бы одного KPI (или у роли нет KPI).",
          "The total is unknown when a KPI's index is (or the role has no KPIs).")
def _employee_index_unknown(ctx: SpecContext, employee: str) -> None:
    row = ctx.employee(employee)
    if row.index is not None:
        subject = msg("of_employee", ctx.lang, employee=employee)
        raise AssertionError(msg("mismatch", ctx.lang, expected_phrase=expected_phrase("total_index", ctx.lang),
                                 subject=subject, expected=format_number(None, ctx.lang),
                                 actual=format_number(row.index, ctx.lang)))


@step_def("employee_index_plan", "then", "плановый итоговый коэффициент сотрудника «{employee}» равен {value}",
          'the planned total index of "{employee}" is {value}',
          "Плановый итоговый коэффициент: сумма весов KPI сотрудника.",
          "The planned total index: the sum of the employee's KPI weights.")
def _employee_index_plan(ctx: SpecContext, employee: str, value: str) -> None:
    _employee_ratio(ctx, "total_index_plan", employee, value, lambda row: row.index_plan)


def _employee_ratio(ctx: SpecContext, field: str, employee: str, value: str,
                    read: Callable[[EmployeeResult], Decimal | None]) -> None:
    row = ctx.employee(employee)
    actual = read(row)
    expected = expect_number(ctx, value, money=False)
    if not ratio_matches(actual, expected):
        subject = msg("of_employee", ctx.lang, employee=employee)
        raise AssertionError(mismatch(ctx, field, subject, expected, actual))


@step_def("kpi_bonus", "then", "премия по KPI «{kpi}» у сотрудника «{employee}» составляет {amount}",
          'the bonus for KPI "{kpi}" of "{employee}" is {amount}',
          "Премия по одному KPI — точно, до копейки.",
          "The bonus for one KPI — exact, to the cent.")
def _kpi_bonus(ctx: SpecContext, kpi: str, employee: str, amount: str) -> None:
    _kpi_number(ctx, "bonus", kpi, employee, amount)


@step_def("kpi_index", "then", "индекс KPI «{kpi}» у сотрудника «{employee}» равен {value}",
          'the index of KPI "{kpi}" for "{employee}" is {value}',
          "Индекс KPI (факт): вес × выполнение. Сравнивается с точностью, с которой записано число.",
          "The KPI's index (fact): weight × attainment. Compared to the precision the number is written with.")
def _kpi_index(ctx: SpecContext, kpi: str, employee: str, value: str) -> None:
    _kpi_number(ctx, "index", kpi, employee, value)


@step_def("kpi_deviation", "then", "отклонение KPI «{kpi}» у сотрудника «{employee}» равно {value}",
          'the deviation of KPI "{kpi}" for "{employee}" is {value}',
          "Отклонение: индекс (факт) − индекс (план).",
          "The deviation: index (fact) − index (plan).")
def _kpi_deviation(ctx: SpecContext, kpi: str, employee: str, value: str) -> None:
    _kpi_number(ctx, "deviation", kpi, employee, value)


@step_def("kpi_attainment", "then", "выполнение KPI «{kpi}» у сотрудника «{employee}» равно {value}",
          'the attainment of KPI "{kpi}" for "{employee}" is {value}',
          "Выполнение плана: факт / цель, а для показателей «чем меньше, тем лучше» — цель / факт.",
          "Attainment: fact / target, or target / fact for lower-is-better indicators.")
def _kpi_attainment(ctx: SpecContext, kpi: str, employee: str, value: str) -> None:
    _kpi_number(ctx, "attainment", kpi, employee, value)
