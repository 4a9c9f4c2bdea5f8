# language: en
Feature: A fact's direction: a cost that arrives as a ready number
  The cost per sale (CPS) is often exported already computed. Such a fact is declared
  with its direction — `fact cps "CPS" unit RUB better lower` — and its attainment is
  target / fact, as for a `better lower` metric; no wrapper metric is needed.

  Background:
    Given the ruleset:
      """
      ruleset "Marketing head's bonus" {
        currency RUB
        period   quarter
        locale   en
      }

      fact   cps        "CPS"              unit RUB better lower
      fact   cps_export "CPS as exported" unit RUB
      metric cps_metric "CPS (metric)"    = cps_export unit RUB better lower

      role head "Head of marketing" {
        kpi cps weight 1 target 5000 bonus 10000
      }
      role head_before "Head of marketing (through a metric)" {
        kpi cps_metric weight 1 target 5000 bonus 10000
      }

      employee "Peter Ivanov" role head
      employee "Mary Petrova" role head_before
      """
    And the period 2026Q3

  Scenario: A sale cheaper than planned over-achieves the plan
    Given the facts:
      | fact            | value |
      | CPS             | 4,000 |
      | CPS as exported | 4,000 |
    When the KPIs and bonuses are calculated
    Then the KPI results of "Peter Ivanov" are:
      | KPI | target | fact  | attainment | status | bonus     |
      | CPS | 5,000  | 4,000 | 125%       | met    | 12,500.00 |
    And the attainment of KPI "CPS" for "Peter Ivanov" is 125%
    And the attainment of KPI "CPS (metric)" for "Mary Petrova" is 125%
    And the bonus of "Peter Ivanov" is 12,500.00
    And the bonus of "Mary Petrova" is 12,500.00

  Scenario: A sale dearer than planned under-achieves it
    Given the facts:
      | fact            | value |
      | CPS             | 8,000 |
      | CPS as exported | 8,000 |
    When the KPIs and bonuses are calculated
    Then the attainment of KPI "CPS" for "Peter Ivanov" is 62.5%
    And KPI "CPS" of "Peter Ivanov" has status "missed"
    And the bonus for KPI "CPS" of "Peter Ivanov" is 6,250.00
    And the bonus for KPI "CPS (metric)" of "Mary Petrova" is 6,250.00
