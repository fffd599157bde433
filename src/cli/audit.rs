//! `milestone-bot audit`: the latest admin actions as a table.

use crate::storage::audit::AuditEntry;
use std::fmt::Write;

pub fn table(entries: &[AuditEntry]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<17} {:<14} {:<22} {:<24} DETAIL",
        "WHEN (UTC)", "USER", "ACTION", "RESULT"
    );
    for e in entries {
        let result: String = e.result.chars().take(24).collect();
        let detail: String = e.detail.chars().take(60).collect();
        let _ = writeln!(
            out,
            "{:<17} {:<14} {:<22} {:<24} {}",
            e.at.format("%Y-%m-%d %H:%M"),
            e.who,
            e.action,
            result,
            detail.replace('\n', " ")
        );
    }
    let _ = write!(
        out,
        "{} entr{}",
        entries.len(),
        if entries.len() == 1 { "y" } else { "ies" }
    );
    if entries
        .iter()
        .any(|e| matches!(e.who, crate::storage::audit::Actor::Stranger(_)))
    {
        out.push_str("; u-… stands for someone who is not an admin (a pseudonym, not their id)");
    }
    out
}
