# language: en
Feature: The lead bonus is paid only for quality leads
  The classic mistake: a KPI on the number of leads alone makes the marketer chase volume,
  and sales complain about junk. The quality condition: the lead bonus is paid only if
  sales closed at least 20 % of those leads into deals. The other KPIs do not depend on it.

  Background:
    Given the ruleset:
      """
      import std/marketing

      role targetologist "Paid social specialist" {
        kpi leads    weight 0.4 target 350    bonus 4000
          require lead_close_rate >= 20%
        kpi cpl      weight 0.3 target 250    bonus 3000
        kpi ad_reach weight 0.3 target 100000 bonus 3000
      }

      employee "Dmitry Orlov" role targetologist
      """
    And the period 2026Q3

  Scenario: 30 % of the leads closed — the lead bonus is paid
    Given the facts:
      | fact      | value   |
      | leads     | 350     |
      | deals_won | 105     |
      | ad_spend  | 87,500  |
      | ad_reach  | 100,000 |
    When the KPIs and bonuses are calculated
    Then the quality condition of KPI "leads" for "Dmitry Orlov" holds
    And KPI "leads" of "Dmitry Orlov" has status "met"
    And the bonus for KPI "leads" of "Dmitry Orlov" is 4,000.00
    And the bonus of "Dmitry Orlov" is 10,000.00

  Scenario: 15 % of the leads closed — no lead bonus, the other KPIs are paid
    Given the facts:
      | fact      | value   |
      | leads     | 400     |
      | deals_won | 60      |
      | ad_spend  | 100,000 |
      | ad_reach  | 100,000 |
    When the KPIs and bonuses are calculated
    Then the quality condition of KPI "leads" for "Dmitry Orlov" fails
    And KPI "leads" of "Dmitry Orlov" has status "gated by a quality condition"
    And the bonus for KPI "leads" of "Dmitry Orlov" is 0.00
    And the bonus for KPI "CPL" of "Dmitry Orlov" is 3,000.00
    And the bonus of "Dmitry Orlov" is 6,000.00

  Scenario: Exactly 20 % closed — the boundary: the condition holds
    Given the facts:
      | fact      | value   |
      | leads     | 400     |
      | deals_won | 80      |
      | ad_spend  | 100,000 |
      | ad_reach  | 100,000 |
    When the KPIs and bonuses are calculated
    Then the quality condition of KPI "leads" for "Dmitry Orlov" holds
    And the attainment of KPI "leads" for "Dmitry Orlov" is 114.29%
    And the bonus for KPI "leads" of "Dmitry Orlov" is 4,228.57

  Scenario: Without the quality condition the check warns about the classic mistake
    Given the ruleset:
      """
      import std/marketing

      role targetologist "Paid social specialist" {
        kpi leads    weight 0.4 target 350    bonus 4000
        kpi cpl      weight 0.3 target 250    bonus 3000
        kpi ad_reach weight 0.3 target 100000 bonus 3000
      }
      """
    When the ruleset is checked
    Then the diagnostic K103 is reported
    And a diagnostic saying "pays for the number of leads without a quality condition" is reported
