# language: ru
Функция: Проверка правил по методике
  Методика задаёт рамки, которые проверка правил отслеживает ещё до расчёта:
  у сотрудника 3–5 KPI; метрики процесса (CTR, CPC) — для диагностики, а не для оценки;
  KPI по числу лидов без условия качества — классическая ошибка.
  Это предупреждения: консультант может иметь причину отступить от методики.

  Сценарий: Шесть KPI у одной роли — слишком много, теряется фокус
    Дано правила:
      """
      import std/marketing

      role seo "SEO-специалист" {
        kpi referral_traffic weight 0.15 target 2000  bonus 3000
        kpi organic_traffic  weight 0.2  target 12000 bonus 4000
        kpi visits           weight 0.15 target 20000 bonus 3000
        kpi cr               weight 0.2  target 2%    bonus 4000
        kpi cpl              weight 0.15 target 250   bonus 3000
        kpi new_customers    weight 0.15 target 30    bonus 3000
      }
      """
    Когда правила проверяются
    Тогда сообщается замечание K101

  Сценарий: Два KPI — неполная картина
    Дано правила:
      """
      import std/marketing

      role pr_manager "PR-менеджер" {
        kpi pr_reach       weight 0.5 target 500000 bonus 6000
        kpi media_mentions weight 0.5 target 40     bonus 4500
      }
      """
    Когда правила проверяются
    Тогда сообщается замечание K101

  Сценарий: Четыре KPI по результату — замечаний нет
    Дано правила:
      """
      import std/marketing

      role marketing_manager "Менеджер по маркетингу и рекламе" {
        kpi customer_growth  weight 0.2 target 10% bonus 5000
        kpi avg_check_growth weight 0.3 target 5%  bonus 10000
        kpi positive_share   weight 0.2 target 75% bonus 5000
        kpi roas             weight 0.3 target 20  bonus 10000
      }
      """
    Когда правила проверяются
    Тогда замечание K101 не сообщается
    И ошибок и предупреждений нет

  Сценарий: Метрика процесса в роли KPI
    Дано правила:
      """
      import std/marketing

      role targetologist "Таргетолог" {
        kpi ad_reach weight 0.3 target 100000 bonus 4000
        kpi ctr      weight 0.3 target 2%     bonus 4000
        kpi cpl      weight 0.4 target 250    bonus 4000
      }
      """
    Когда правила проверяются
    Тогда сообщается замечание K102

  Сценарий: Метрика процесса как условие действия, а не KPI — замечаний нет
    Дано правила:
      """
      import std/marketing

      role targetologist "Таргетолог" {
        kpi ad_reach weight 0.3 target 100000 bonus 4000
        kpi cpl      weight 0.4 target 250    bonus 4000
          when ctr < 2% action "Обновить креативы и сузить аудитории с низким CTR"
        kpi new_customers weight 0.3 target 30 bonus 4000
      }
      """
    Когда правила проверяются
    Тогда замечание K102 не сообщается
    И ошибок и предупреждений нет

  Сценарий: Премия за число лидов без условия качества — классическая ошибка
    Дано правила:
      """
      import std/marketing

      role targetologist "Таргетолог" {
        kpi leads    weight 0.4 target 350    bonus 4000
        kpi cpl      weight 0.3 target 250    bonus 4000
        kpi ad_reach weight 0.3 target 100000 bonus 4000
      }
      """
    Когда правила проверяются
    Тогда сообщается замечание K103

  Сценарий: Лиды с условием качества — замечания нет
    Дано правила:
      """
      import std/marketing

      role targetologist "Таргетолог" {
        kpi leads    weight 0.4 target 350    bonus 4000
          require lead_close_rate >= 20%
        kpi cpl      weight 0.3 target 250    bonus 4000
        kpi ad_reach weight 0.3 target 100000 bonus 4000
      }
      """
    Когда правила проверяются
    Тогда замечание K103 не сообщается
    И ошибок и предупреждений нет
