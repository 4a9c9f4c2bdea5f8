"""Generate a valid ruleset of about N lines, for benchmarks of `kpidsl check`.

Each block is written in the style of `rulesets/seed_marketing.kpi` (comments,
titles, a KPI card, blank lines): facts, metrics built on them (and on the
previous block's metrics, so the dependency graph has depth), a goal, a role with
four KPIs whose weights sum to 1, an employee and, every tenth block, a rule.
The output checks with no errors and no warnings.

    python benchmarks/gen_ruleset.py 10000 > /tmp/big.kpi
"""

from __future__ import annotations

import sys

HEADER = """ruleset "Benchmark" {
  client   "Generated"
  currency RUB
  period   quarter
  locale   ru
}

scheme weighted_index {
  index = weight * attainment
  bonus = plan_bonus * (1 + index - weight)
}
"""


def block(i: int) -> str:
    """About 40 lines in the seed ruleset's style: comments, titles, a KPI card, a role."""
    prev = f"m{i - 1}_share" if i > 0 else f"f{i}_visits / f{i}_orders"
    area = "marketing" if i % 3 else "sales"
    return f"""
# ---------------------------------------------------------------- block {i}
# Facts: what the client's systems export each period.
fact f{i}_visits  "Посещения сайта, направление {i}"  unit count source web   area marketing
fact f{i}_orders  "Заказы, направление {i}"           unit count source crm   area {area}
fact f{i}_revenue "Выручка, направление {i}"          unit RUB   source books area {area}
fact f{i}_spend   "Рекламный бюджет, направление {i}" unit RUB   source ads   area marketing

# Metrics: formulas over facts and other metrics.
metric m{i}_share  "Конверсия в заказ {i}" = f{i}_orders / f{i}_visits unit percent
metric m{i}_cost   "Стоимость заказа {i}"  = f{i}_spend / max(f{i}_orders, 1) unit RUB better lower
metric m{i}_growth "Прирост выручки {i}"   = growth(f{i}_revenue) unit percent
metric m{i}_mix    "Смешанный индекс {i}"
  = if {prev} > 10% then m{i}_share * 2
    else scale m{i}_share {{ below 1% -> 0  below 5% -> 1  else -> 2 }}
metric m{i}_roas   "ROAS {i}" = round(f{i}_revenue / f{i}_spend, 2) unit ratio

goal g{i} "Выручка направления {i} за квартал" = {1000 + i} * 3

# A KPI card: the logic of building an indicator.
kpi card{i} "Конверсия направления {i}" {{
  measures  "Доля посетителей, сделавших заказ"
  audience  "Директор компании"
  source    "Веб-аналитика и CRM"
  frequency quarterly
  owner     "Менеджер направления {i}"
  indicator m{i}_share
  goal      2%
}}

role r{i} "Менеджер направления {i}" {{
  scheme   weighted_index
  controls marketing, sales
  kpi card{i}     weight 0.25 baseline 1%  bonus 5000
    require m{i}_roas >= 1
  kpi m{i}_cost   weight 0.25 baseline 900 target 800 bonus 5000
    when attainment < 90% action "Пересмотреть каналы направления {i}"
  kpi m{i}_growth weight 0.3  target 10% bonus 10000
  kpi f{i}_revenue weight 0.2 target g{i} bonus 10000
    when attainment < 100% action "Разобрать воронку направления {i} с отделом продаж"
}}

employee "Сотрудник {i}" role r{i}
"""


def rule(i: int) -> str:
    return f"""rule check{i} "Проверка {i}" {{
  when   m{i}_roas < 1 and m{i}_share < 1%
  level  warning
  action "Разобрать блок {i}"
}}
"""


def generate(lines: int) -> str:
    parts = [HEADER]
    total = HEADER.count("\n")
    i = 0
    while total < lines:
        text = block(i) + (rule(i) if i % 10 == 9 else "")
        parts.append(text)
        total += text.count("\n")
        i += 1
    return "".join(parts)


if __name__ == "__main__":
    sys.stdout.write(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
