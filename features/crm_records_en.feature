# language: en
Feature: Sales bonuses straight from the CRM export
  The ruleset aggregates its facts from raw records: every deal and every lead. A record
  counts in the quarter of its date. The lead bonus is paid only if at least 20 % of the
  manager's leads closed into won deals — checked against the manager's real deals.

  Background:
    Given the ruleset in file "../rulesets/crm_showcase.kpi"
    And the period 2026Q3

  Scenario: One won deal out of 5 leads is exactly 20 %: the lead bonus is paid
    Given the staff:
      | employee     | role          |
      | Peter Ivanov | sales_manager |
    And the records "deals":
      | deal_id | created_at | manager      | client   | amount    | status |
      | 1       | 2026-07-10 | Peter Ivanov | Client 1 | 450000.00 | won    |
      | 2       | 2026-08-03 | Peter Ivanov | Client 2 | 80000     | lost   |
      | 3       | 2026-06-30 | Peter Ivanov | Client 3 | 200000    | won    |
    And the records "lead_log":
      | lead_id | created_at | manager      | channel |
      | 1       | 2026-07-01 | Peter Ivanov | seo     |
      | 2       | 2026-07-15 | Peter Ivanov | context |
      | 3       | 2026-08-02 | Peter Ivanov | social  |
      | 4       | 2026-09-12 | Peter Ivanov | seo     |
      | 5       | 2026-09-30 | Peter Ivanov | events  |
    When the KPIs and bonuses are calculated
    Then the KPI results of "Peter Ivanov" are:
      | KPI       | fact    | attainment | bonus     | status |
      | revenue   | 450,000 | 100%       | 20,000.00 | met    |
      | deals_won | 1       | 14.29%     | 7,428.57  | missed |
      | leads     | 5       | 16.67%     | 4,166.67  | missed |
    And the quality condition of KPI "leads" for "Peter Ivanov" holds
    And the bonus of "Peter Ivanov" is 31,595.24

  Scenario: The sample export: 6 won deals from 32 leads, so no lead bonus
    Given the staff in file "../rulesets/data/crm_roster.csv"
    And the records "Сделки из CRM" in file "../rulesets/data/crm_deals.csv"
    When the KPIs and bonuses are calculated
    Then the quality condition of KPI "leads" for "Семёнов Андрей (03)" fails
    And the bonus for KPI "leads" of "Семёнов Андрей (03)" is 0.00
    And the bonus of "Семёнов Андрей (03)" is 25,356.47
