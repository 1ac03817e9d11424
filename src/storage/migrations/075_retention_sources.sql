-- The seeded sources of the retention rules (008) cited a research note that is not part of this
-- repository. They now point at docs/retention.md, which holds those facts. Only the citation is
-- replaced, so a source an admin has rewritten keeps its own words; years and starts are untouched
-- (no rule changes, so no retention.rule_changed event).
UPDATE retention_rules SET source =
  replace(
    replace(
      replace(source, '参考: domain-facts §2.9（二次資料）', '解説: docs/retention.md'),
      '参考: domain-facts §2.9', '解説: docs/retention.md'),
    '（要確認: domain-facts に記載なし）', '（税理士に確認のうえ見直してください。解説: docs/retention.md）');
