//! `milestone-bot audit`: the latest admin actions as a table.

use crate::storage::audit::AuditEntry;
use std::fmt::Write;

pub fn table(entries: &[AuditEntry]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<17} {:<12} {:<22} {:<24} DETAIL",
        "WHEN (UTC)", "USER", "ACTION", "RESULT"
    );
    for e in entries {
        let user = e
            .user_id
            .map(|u| u.to_string())
            .unwrap_or_else(|| "cli".into());
        let result: String = e.result.chars().take(24).collect();
        let detail: String = e.detail.chars().take(60).collect();
        let _ = writeln!(
            out,
            "{:<17} {:<12} {:<22} {:<24} {}",
            e.at.format("%Y-%m-%d %H:%M"),
            user,
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
    out
}
