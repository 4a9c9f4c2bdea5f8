# language: en
Feature: The marketing and advertising manager's bonus
  The methodology's worked example (tables 1–4): a quarterly bonus over four KPIs.
  KPI index (fact) = weight × fact / target, index (plan) = weight,
  deviation = index (fact) − index (plan),
  actual bonus = planned bonus × (1 + deviation).
  Over-achievement raises the bonus, under-achievement lowers it.

  Scenario: Tables 1–4 of the methodology: the KPI values of a quarter
    Given the ruleset:
      """
      ruleset "Marketing manager's bonus" {
        currency RUB
        period   quarter
        locale   en
      }

      fact customer_growth  "Customer growth"       unit percent
      fact avg_check_growth "Average check growth"  unit percent
      fact positive_share   "Share of positive reviews" unit percent
      fact roas             "ROAS"                  unit ratio

      role marketing_manager "Marketing and advertising manager" {
        kpi customer_growth  weight 0.2 baseline 3%  target 10% bonus 5000
        kpi avg_check_growth weight 0.3 baseline 2%  target 5%  bonus 10000
        kpi positive_share   weight 0.2 baseline 70% target 75% bonus 5000
        kpi roas             weight 0.3 baseline 15  target 20  bonus 10000
      }

      employee "Anna Smirnova" role marketing_manager
      """
    And the facts:
      | period | fact                      | value |
      | 2026Q3 | Customer growth           | 15%   |
      | 2026Q3 | Average check growth      | 7%    |
      | 2026Q3 | Share of positive reviews | 72%   |
      | 2026Q3 | ROAS                      | 18    |
    When the KPIs and bonuses are calculated
    Then the KPI results of "Anna Smirnova" are:
      | KPI                       | weight | target | fact | index | planned index | deviation | planned bonus | bonus     | status |
      | Customer growth           | 0.2    | 10%    | 15%  | 0.300 | 0.2           | 0.100     | 5,000         | 5,500.00  | met    |
      | Average check growth      | 0.3    | 5%     | 7%   | 0.420 | 0.3           | 0.120     | 10,000        | 11,200.00 | met    |
      | Share of positive reviews | 0.2    | 75%    | 72%  | 0.192 | 0.2           | −0.008    | 5,000         | 4,960.00  | missed |
      | ROAS                      | 0.3    | 20     | 18   | 0.270 | 0.3           | −0.030    | 10,000        | 9,700.00  | missed |
    And the bonus of "Anna Smirnova" is 31,360.00

  Scenario: Over-achievement raises the bonus, under-achievement lowers it
    Given the ruleset in file "../rulesets/seed_marketing.kpi"
    And the facts in file "../rulesets/data/seed_marketing.csv"
    And the period 2026Q3
    When the KPIs and bonuses are calculated
    Then the index of KPI "customer_growth" for "Смирнова Анна" is 0.300
    And the deviation of KPI "customer_growth" for "Смирнова Анна" is 0.100
    And the bonus for KPI "customer_growth" of "Смирнова Анна" is 5500
    And the index of KPI "positive_share" for "Смирнова Анна" is 0.192
    And the deviation of KPI "positive_share" for "Смирнова Анна" is -0.008
    And the bonus for KPI "positive_share" of "Смирнова Анна" is 4960
    And the bonus of "Смирнова Анна" is 31360
