# language: en
Feature: The employee's total index
  The total index (the "KPI matrix" coefficient) is the sum of the employee's KPI
  indices: Σ weight × attainment. The planned total is the sum of the weights. A KPI
  whose quality condition failed counts 0, as it does in the bonus.

  Scenario: Weights 0.5 / 0.25 / 0.25 and attainments 110% / 85% / 150% give 113.75%
    Given the ruleset:
      """
      ruleset "Sales" {
        currency RUB
        period   quarter
        locale   en
      }

      fact revenue "Revenue" unit RUB
      fact deals   "Deals"   unit count
      fact nps     "NPS"     unit percent

      role sales "Sales manager" {
        kpi revenue weight 0.5  target 10_000_000 bonus 10000
        kpi deals   weight 0.25 target 20         bonus 5000
        kpi nps     weight 0.25 target 60%        bonus 5000
      }

      employee "Ilya Sokolov" role sales
      """
    And the period 2026Q3
    And the facts:
      | fact    | value      |
      | Revenue | 11 000 000 |
      | Deals   | 17         |
      | NPS     | 90%        |
    When the KPIs and bonuses are calculated
    Then the total index of "Ilya Sokolov" is 113.75%
    And the planned total index of "Ilya Sokolov" is 1
