# language: en
Feature: A role's payout from the total index (the "KPI matrix")
  A role whose KPI lines pay no money of their own is paid by the role's formula
  (`payout`): bonus = salary × 25% × total index, nothing below a 70% cut-off, the
  total capped at 150%. Money is rounded once, where the formula yields it. The planned
  bonus is the same formula with every KPI exactly on plan.

  Background:
    Given the ruleset:
      """
      ruleset "Sales" {
        currency RUB
        period   quarter
        locale   en
      }

      fact salary  "Salary"  unit RUB
      fact revenue "Revenue" unit RUB
      fact deals   "Deals"   unit count
      fact calls   "Calls"   unit count

      scheme kpi_matrix "KPI matrix" {
        index = weight * attainment
        payout {
          k     = min(total, 150%)
          bonus = if total < 70% then 0 else salary * 25% * k
        }
      }

      role sales "Sales manager" {
        scheme kpi_matrix
        kpi revenue weight 0.5  target 1_000_000
        kpi deals   weight 0.25 target 20
        kpi calls   weight 0.25 target 100
      }

      employee "Ilya Sokolov" role sales
      """
    And the period 2026Q3

  Scenario: A total of 113.75% on a salary of 100,000 pays 28,437.50
    Given the facts:
      | fact    | value     |
      | salary  | 100000    |
      | revenue | 1100000   |
      | deals   | 17        |
      | calls   | 150       |
    When the KPIs and bonuses are calculated
    Then the total index of "Ilya Sokolov" is 113.75%
    And the bonus of "Ilya Sokolov" is 28,437.50
    And the planned bonus of "Ilya Sokolov" is 25,000.00

  Scenario: Below the cut-off there is no bonus
    Given the facts:
      | fact    | value  |
      | salary  | 100000 |
      | revenue | 500000 |
      | deals   | 10     |
      | calls   | 100    |
    When the KPIs and bonuses are calculated
    Then the total index of "Ilya Sokolov" is 62.5%
    And the bonus of "Ilya Sokolov" is 0.00

  Scenario: Above the cap the total pays no more
    Given the facts:
      | fact    | value   |
      | salary  | 100000  |
      | revenue | 3000000 |
      | deals   | 40      |
      | calls   | 200     |
    When the KPIs and bonuses are calculated
    Then the total index of "Ilya Sokolov" is 250%
    And the bonus of "Ilya Sokolov" is 37,500.00

  Scenario: Without a salary there is no bonus, and the run says why
    Given the facts:
      | fact    | value   |
      | salary  | no data |
      | revenue | 1100000 |
      | deals   | 17      |
      | calls   | 150     |
    When the KPIs and bonuses are calculated
    Then the total index of "Ilya Sokolov" is 113.75%
    And the bonus of "Ilya Sokolov" is 0.00
    And a diagnostic saying "no payout for role `sales`" is reported
