"""The methodology's lints (K1xx): each fires where the method is broken, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpidsl.api import check_file
from kpidsl.base.diagnostics import Diagnostic, Severity

ROOT = Path(__file__).resolve().parent.parent

FACTS = """\
ruleset "Тест" { currency RUB }
fact reach    "Охват"     unit count area marketing
fact orders   "Заказы"    unit count area sales
fact revenue  "Выручка"   unit RUB   area sales
fact ad_spend "Реклама"   unit RUB   area marketing
fact clicks   "Клики"     unit count area marketing
fact shows    "Показы"    unit count area marketing
fact leads    "Лиды"      unit count area marketing
fact deals    "Сделки"    unit count area sales
metric ctr "CTR" = clicks / shows unit percent kind process
metric close_rate "Доля лидов, закрытых в сделки" = deals / leads unit percent
metric cpl "CPL — стоимость лида" = ad_spend / leads unit RUB better lower
"""


def lints(text: str, code: str | None = None) -> list[Diagnostic]:
    found = check_file(str(ROOT / "rulesets" / "lint_input.kpi"), text=text).diagnostics
    assert not [d for d in found if d.is_error], [(d.code, d.message) for d in found]
    return [d for d in found if code is None or d.code == code]


WEIGHTS = {1: ["1"], 2: ["0.5", "0.5"], 3: ["0.4", "0.3", "0.3"], 5: ["0.2"] * 5,
           6: ["0.2", "0.2", "0.15", "0.15", "0.15", "0.15"], 8: ["0.125"] * 8}


def role(*lines: str, settings: str = "") -> str:
    """A role whose KPI lines share the weight equally (so K040 stays quiet)."""
    share = WEIGHTS[len(lines)]
    body = "\n".join(f"  kpi {line.split()[0]} weight {w} {' '.join(line.split()[1:])}"
                     for line, w in zip(lines, share, strict=True))
    return FACTS + f"role r \"Роль\" {{\n  {settings}\n{body}\n}}\n"


OK3 = ("reach target 1000 bonus 100", "orders target 100 bonus 100", "revenue target 1000 bonus 100")


# ---------------------------------------------------------------- K101: 3–5 KPIs per person


@pytest.mark.parametrize(("count", "warns"), [(0, False), (1, True), (2, True), (3, False), (5, False),
                                              (6, True), (8, True)])
def test_kpi_count(count: int, warns: bool) -> None:
    names = ["reach", "orders", "revenue", "ad_spend", "clicks", "shows", "deals", "cpl"][:count]
    text = role(*(f"{n} target 10 bonus 100" for n in names)) if count else FACTS + "role r { }\n"
    found = lints(text, "K101")
    assert bool(found) is warns
    if warns:
        assert found[0].message.startswith(f"role `r` has {count} KPI{'s' if count > 1 else ''}; "
                                           "the method recommends 3–5 per person")
        assert found[0].severity is Severity.WARNING


# ---------------------------------------------------------------- K102: process metrics


def test_process_metric_as_weighted_kpi_warns() -> None:
    [d] = lints(role("ctr target 2% bonus 100", *OK3[:2]), "K102")
    assert d.message == "`ctr` is a process metric used as a weighted KPI in role `r`"
    assert "metrics are for diagnosis, KPIs for evaluation" in (d.hint or "")


def test_process_metric_through_a_card_warns_and_names_both() -> None:
    text = role("ctr_card target 2% bonus 100", *OK3[:2]).replace(
        "role r", 'kpi ctr_card "Кликабельность" { indicator ctr }\nrole r')
    [d] = lints(text, "K102")
    assert d.message == "`ctr_card` (`ctr`) is a process metric used as a weighted KPI in role `r`"


def test_process_metric_with_weight_0_or_in_a_condition_is_fine() -> None:
    text = FACTS + ("role r {\n kpi ctr weight 0 target 2% bonus 0\n kpi reach weight 0.5 target 1 bonus 1\n"
                    " kpi orders weight 0.5 target 1 bonus 1\n  when ctr < 1% action \"x\"\n}\n")
    assert lints(text, "K102") == []


def test_result_metric_is_fine() -> None:
    assert lints(role("cpl target 250 bonus 100", *OK3[:2]), "K102") == []


# ---------------------------------------------------------------- K103: leads without quality


def test_lead_count_without_condition_warns_with_the_classic_fix() -> None:
    [d] = lints(role("leads target 350 bonus 100", *OK3[:2]), "K103")
    assert d.message == "KPI `leads` in role `r` pays for the number of leads without a quality condition"
    assert "require lead_close_rate >= 20%" in (d.hint or "")


@pytest.mark.parametrize("settings_or_clause", ["line", "role"])
def test_any_require_on_the_line_or_the_role_satisfies_it(settings_or_clause: str) -> None:
    if settings_or_clause == "line":
        text = role("leads target 350 bonus 100 require close_rate >= 20%", *OK3[:2])
    else:
        text = role("leads target 350 bonus 100", *OK3[:2], settings="require close_rate >= 20%")
    assert lints(text, "K103") == []


@pytest.mark.parametrize(("declaration", "warns"), [
    ('fact лиды_всего "Все заявки" unit count', True),            # Cyrillic name
    ('fact inbound "Входящие лиды"', True),                       # title, fact without a unit
    ('fact mql "Marketing qualified leads" unit count', True),    # English title
    ('metric lead_sum "Сумма" = leads + leads unit count', True),  # a metric that is a count
    ('fact leaders "Лидеры мнений" unit count', False),           # лидер… is not a lead
    ('fact misleading "Misleading clicks" unit count', False),     # lead inside a word
    ('metric lead_cost "Стоимость лида" = ad_spend / leads unit RUB', False),  # a cost
    ('metric lead_rate "Доля лидов" = leads / shows unit percent', False),     # a rate
    ('fact lead_value "Сумма по лидам" unit RUB', False),          # money
])
def test_lead_count_heuristic(declaration: str, warns: bool) -> None:
    name = declaration.split()[1]
    text = role(f"{name} target 100 bonus 100", *OK3[:2]).replace("role r", declaration + "\nrole r")
    assert bool(lints(text, "K103")) is warns


def test_lead_count_through_a_card_titled_with_leads() -> None:
    text = role("lead_card bonus 100", *OK3[:2]).replace(
        "role r", 'kpi lead_card "Количество лидов" { indicator leads goal 350 }\nrole r')
    assert [d.message for d in lints(text, "K103")] == [
        "KPI `lead_card` in role `r` pays for the number of leads without a quality condition"]


def test_seed_targetologist_leads_has_its_quality_condition() -> None:
    found = check_file(str(ROOT / "rulesets" / "seed_marketing.kpi")).diagnostics
    assert not [d for d in found if d.code == "K103"]
    text = (ROOT / "rulesets" / "seed_marketing.kpi").read_text(encoding="utf-8")
    without = text.replace("    require lead_close_rate >= 20%\n", "")
    assert without != text
    found = check_file(str(ROOT / "rulesets" / "seed_marketing.kpi"), text=without).diagnostics
    assert [d.message for d in found if d.code == "K103"] == [
        "KPI `leads` in role `targetologist` pays for the number of leads without a quality condition"]


# ---------------------------------------------------------------- K104: LTV ≥ 3 × CAC


LTV_CAC = FACTS + 'fact LTV "LTV" unit RUB\nmetric Cac "CAC" = ad_spend / deals unit RUB better lower\n'


def test_ltv_and_cac_without_a_rule_is_a_hint() -> None:
    [d] = lints(LTV_CAC, "K104")
    assert d.severity is Severity.HINT
    assert d.message == "`LTV` and `Cac` are both defined, but no rule checks that LTV is at least 3 × CAC"


@pytest.mark.parametrize(("rule", "hints"), [
    ("rule ue { when LTV < 3 * Cac }", False),
    ("metric ratio = LTV / Cac unit ratio\nrule ue { when ratio < 3 }", False),  # through a metric
    ("rule ue { when LTV < 1000 }", True),                                       # only one of them
])
def test_a_rule_mentioning_both_satisfies_it(rule: str, hints: bool) -> None:
    assert bool(lints(LTV_CAC + rule + "\n", "K104")) is hints


def test_only_one_of_them_is_fine() -> None:
    assert lints(FACTS + 'fact ltv "LTV" unit RUB\n', "K104") == []


# ---------------------------------------------------------------- K105: measurable


def test_kpi_on_a_constant_is_not_measurable() -> None:
    text = role("plan target 10 bonus 100", *OK3[:2]).replace(
        "role r", "goal g = 5\nmetric plan \"План\" = g * 2\nrole r")
    [d] = lints(text, "K105")
    assert d.message == "KPI `plan` in role `r` does not depend on any fact, so it is the same in every period"


def test_unused_card_without_indicator_warns_but_a_measured_one_does_not() -> None:
    text = FACTS + 'kpi awareness "Узнаваемость" { owner "Маркетинг" }\nkpi conv "Конверсия" { indicator close_rate }\n'
    assert [d.message for d in lints(text, "K105")] == [
        "KPI card `awareness` has no indicator, so it cannot be measured"]


# ---------------------------------------------------------------- K106: zone of control


def test_zone_of_control_names_the_facts_and_areas_outside_it() -> None:
    text = role("reach target 1 bonus 1", "cpl target 1 bonus 1",
                "avg target 1 bonus 1", settings="controls marketing").replace(
        "role r", "metric avg = revenue / orders unit RUB\nrole r")
    [d] = lints(text, "K106")
    assert d.message == ("KPI `avg` of role `r` depends on `orders` (area sales), `revenue` (area sales), "
                         "outside the role's zone of control (marketing)")


def test_zone_of_control_is_transitive_and_silent_without_controls() -> None:
    text = role("reach target 1 bonus 1", "close_rate target 1 bonus 1", "cpl target 1 bonus 1",
                settings="controls marketing")
    [d] = lints(text, "K106")  # close_rate = deals (sales) / leads (marketing)
    assert "`deals` (area sales)" in d.message and "`leads`" not in d.message
    assert lints(text.replace("controls marketing", ""), "K106") == []
    assert lints(text.replace("controls marketing", "controls marketing, sales"), "K106") == []


def test_seed_head_controls_what_its_kpis_rest_on() -> None:
    found = check_file(str(ROOT / "rulesets" / "seed_marketing.kpi")).diagnostics
    assert not [d for d in found if d.code == "K106"]


# ---------------------------------------------------------------- K107: target direction


@pytest.mark.parametrize(("line", "hints"), [
    ("reach baseline 100 target 90 bonus 1", True),      # higher is better, target lower
    ("reach baseline 100 target 110 bonus 1", False),
    ("cpl baseline 280 target 300 bonus 1", True),       # lower is better, target higher
    ("cpl baseline 280 target 250 bonus 1", False),
    ("reach baseline 100 target revenue bonus 1", False),  # not constant: cannot tell
])
def test_target_on_the_wrong_side_of_the_baseline(line: str, hints: bool) -> None:
    found = lints(role(line, *OK3[1:]), "K107")
    assert bool(found) is hints
    if hints:
        assert found[0].severity is Severity.HINT
