//! A standard in words, for people: what `giamngheo standards show` prints.

use crate::model::*;
use std::fmt::Write;
use vntext::format_vnd;

fn mark(c: Confidence, language: Language) -> String {
    format!("[{}: {}]", c.mark(), c.describe(language))
}

fn rule_text(
    rule: &Rule,
    lines: &[Line],
    cutoff: u32,
    measure: &str,
    count: &str,
    language: Language,
) -> String {
    let mut parts = Vec::new();
    let name = |i: usize| lines[i].name.get(language).to_string();
    match (rule.above, rule.at_most) {
        (Some(a), Some(b)) => parts.push(format!("{} < {measure} ≤ {}", name(a), name(b))),
        (Some(a), None) => parts.push(format!("{measure} > {}", name(a))),
        (None, Some(b)) => parts.push(format!("{measure} ≤ {}", name(b))),
        (None, None) => {}
    }
    match rule.deprivations {
        Some(DeprivationCondition::AtLeastCutoff) => parts.push(format!("{count} ≥ {cutoff}")),
        Some(DeprivationCondition::BelowCutoff) => parts.push(format!("{count} < {cutoff}")),
        None => {}
    }
    match (rule.livelihood, language) {
        (Some(LivelihoodCondition::Farm), Language::Vi) => {
            parts.push("hộ làm nông, lâm, ngư, diêm nghiệp".into())
        }
        (Some(LivelihoodCondition::Farm), Language::En) => {
            parts.push("a farm, forestry, fishery or salt household".into())
        }
        (Some(LivelihoodCondition::NonFarm), Language::Vi) => {
            parts.push("hộ làm ngành nghề khác".into())
        }
        (Some(LivelihoodCondition::NonFarm), Language::En) => {
            parts.push("a household in another occupation".into())
        }
        (None, _) => {}
    }
    let and = match language {
        Language::Vi => " và ",
        Language::En => " and ",
    };
    if parts.is_empty() {
        match language {
            Language::Vi => "các trường hợp còn lại".to_string(),
            Language::En => "all other cases".to_string(),
        }
    } else {
        parts.join(and)
    }
}

impl Standard {
    /// The whole standard in words, in one language.
    pub fn describe(&self, language: Language) -> String {
        let vi = language == Language::Vi;
        let t = |vi_text: &'static str, en_text: &'static str| if vi { vi_text } else { en_text };
        let mut out = String::new();
        let _ = writeln!(out, "{} — {}", self.id, self.name.get(language));
        if self.provisional {
            let _ = writeln!(
                out,
                "{}",
                t(
                    "TẠM THỜI: chuẩn này cần đối chiếu với văn bản chính thức trước khi dùng.",
                    "PROVISIONAL: to be checked against the official text before use."
                )
            );
        }
        let _ = writeln!(
            out,
            "{}: {} {}",
            t("Căn cứ pháp lý", "Legal basis"),
            self.legal_basis.get(language),
            mark(self.legal_basis_confidence, language)
        );
        let _ = writeln!(
            out,
            "{}: {}–{} {}",
            t("Năm rà soát áp dụng", "Review years"),
            self.review_years.start(),
            self.review_years.end(),
            mark(self.review_years_confidence, language)
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} ({}):",
            t("Mức thu nhập", "Income lines"),
            t("đồng/người/tháng", "VND per person per month")
        );
        let width = self
            .income_lines
            .iter()
            .map(|l| l.name.get(language).chars().count())
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            out,
            "  {:width$}  {:>11}  {:>11}",
            "",
            Area::Rural.name(language),
            Area::Urban.name(language)
        );
        for line in &self.income_lines {
            let _ = writeln!(
                out,
                "  {:width$}  {:>11}  {:>11}  {}",
                line.name.get(language),
                format_vnd(line.rural),
                format_vnd(line.urban),
                mark(line.confidence, language)
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}:",
            t(
                "Quy tắc xếp loại (quy tắc đúng đầu tiên quyết định)",
                "Classification rules (the first that holds decides)"
            )
        );
        let (income, count) = (
            t("thu nhập", "income"),
            t("số chỉ số thiếu hụt", "deprivations"),
        );
        for (i, rule) in self.rules.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {}. {}: {} {}",
                i + 1,
                rule.status.name(language),
                rule_text(
                    rule,
                    &self.income_lines,
                    self.deprivation_cutoff,
                    income,
                    count,
                    language
                ),
                mark(rule.confidence, language)
            );
            let _ = writeln!(out, "     {}", rule.reason.text.get(language));
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}: {} {} {} (k = {}) {}",
            t("Ngưỡng thiếu hụt", "Deprivation cut-off"),
            self.deprivation_cutoff,
            t("trên", "of"),
            self.indicators.len(),
            self.default_k(),
            mark(self.deprivation_cutoff_confidence, language)
        );
        if let Some(warning) = self.k_warning(self.default_k(), language) {
            let _ = writeln!(out, "  {warning}");
        }
        let _ = writeln!(
            out,
            "{}:",
            t(
                "Chiều và chỉ số thiếu hụt (trọng số)",
                "Dimensions and indicators (weights)"
            )
        );
        for d in &self.dimensions {
            let _ = writeln!(out, "  {} ({})", d.name.get(language), d.weight);
            for ind in &self.indicators[d.indicators.clone()] {
                let _ = writeln!(
                    out,
                    "    {:<20} {} ({}) {}",
                    ind.code,
                    ind.name.get(language),
                    ind.weight,
                    mark(ind.confidence, language)
                );
                let _ = writeln!(
                    out,
                    "      {}: {}",
                    t("thiếu hụt khi", "deprived when"),
                    ind.deprived_when.get(language)
                );
            }
        }
        if let Some(form) = &self.score_form {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "{}: {}",
                t("Phiếu chấm điểm", "Score form"),
                form.name.get(language)
            );
            let _ = writeln!(
                out,
                "  {}; {}",
                form.score_a.get(language),
                form.score_b.get(language)
            );
            for line in &form.lines {
                let _ = writeln!(
                    out,
                    "  {}: {} {}, {} {} {}",
                    line.name.get(language),
                    Area::Rural.name(language),
                    line.rural,
                    Area::Urban.name(language),
                    line.urban,
                    mark(line.confidence, language)
                );
                if let Some(note) = &line.note {
                    let _ = writeln!(out, "    {}", note.get(language));
                }
            }
            let (a, b) = (t("điểm A", "score A"), t("điểm B", "score B"));
            for (i, rule) in form.rules.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "  {}. {}: {} {}",
                    i + 1,
                    rule.status.name(language),
                    rule_text(rule, &form.lines, form.b_cutoff, a, b, language),
                    mark(rule.confidence, language)
                );
            }
            if let Some(note) = &form.note {
                let _ = writeln!(out, "  {}", note.get(language));
            }
        }
        if let Some(notes) = &self.notes {
            let _ = writeln!(out);
            let _ = writeln!(out, "{}: {}", t("Ghi chú", "Notes"), notes.get(language));
        }
        out
    }
}
