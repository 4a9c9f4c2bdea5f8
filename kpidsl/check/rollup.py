"""Check how data periods roll up into payout periods (`period month pay quarter`).

    K046 error    `pay` or a fact's `rollup` is not one of the known words
    K066 error    the payout period is shorter than the data period (`period quarter`
                  with `pay month`): a quarter's data cannot be split into months
    K067 error    `rollup` on a fact aggregated from records: records carry dates and go
                  straight into the payout period, there is nothing to roll up
    K068 warning  a percentage or ratio fact would be summed over the data periods (its
                  rollup is the default `sum`): three monthly shares do not add up to a
                  quarter's; say `rollup avg` or `rollup last`, or pay per data period

The roll-up itself is the plan's (engine/rollup.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpidsl.base.diagnostics import Diagnostic, error, warning
from kpidsl.base.suggest import did_you_mean
from kpidsl.language import ast
from kpidsl.language.builtins import PERIOD_KINDS, ROLLUPS

if TYPE_CHECKING:
    from kpidsl.language.load import Model

_NOUN = {"percent": "percentage", "ratio": "ratio"}
_LENGTH = {"month": 1, "quarter": 3, "year": 12}  # months in a period of each kind


def months_in(kind: str) -> int:
    """How many months a period of `kind` spans (0 for an unknown kind)."""
    return _LENGTH.get(kind, 0)


def _unknown(setting: str, value: ast.Ident, allowed: tuple[str, ...]) -> Diagnostic:
    hint = did_you_mean(value.text, allowed) or ""
    hint = (hint + " " if hint else "") + f"{setting} is one of: {', '.join(allowed)}"
    return error("K046", f"unknown {setting} `{value.text}`", value.span, hint)


def check_rollup(model: Model) -> list[Diagnostic]:
    """K046, K066–K068 for the header's `pay` and the facts' `rollup`."""
    out: list[Diagnostic] = []
    header = model.header
    pay = header.pay_kind if header is not None else None
    if pay is not None:
        if pay.text not in PERIOD_KINDS:
            out.append(_unknown("pay", pay, PERIOD_KINDS))
        elif model.data_kind in PERIOD_KINDS and months_in(pay.text) < months_in(model.data_kind):
            out.append(error(
                "K066", f"the payout period ({pay.text}) is shorter than the data period ({model.data_kind})",
                pay.span, f"pay per {model.data_kind} or longer, or give the data per {pay.text} "
                          f"(`period {pay.text}`)"))
    rolled = model.rolled_up and not any(d.code == "K066" for d in out)
    for fact in model.facts.values():
        if fact.rollup is not None:
            if fact.rollup.text not in ROLLUPS:
                out.append(_unknown("rollup", fact.rollup, ROLLUPS))
            elif fact.aggregation is not None:
                out.append(error(
                    "K067", f"`{fact.name}` is aggregated from records: `rollup` does not apply",
                    fact.rollup.span, "records carry dates and are counted straight into the payout "
                                      "period; remove `rollup`"))
        elif rolled and fact.aggregation is None and fact.unit is not None and fact.unit.text in ("percent", "ratio"):
            out.append(warning(
                "K068", f"`{fact.name}` is a {_NOUN[fact.unit.text]}, and its {model.data_kind}ly values would be "
                        f"summed into each {model.period_kind}", fact.span,
                "declare `rollup avg` (the mean of the periods) or `rollup last` (the period-end value), "
                "or compute it as a metric from summed facts"))
    return out
