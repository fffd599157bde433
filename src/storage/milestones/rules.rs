//! `milestone_rules`: a metric's rules as their canonical text.

use super::super::{Millis, StorageError};
use super::{from_db, metric_from_db, to_db};
use crate::vocab::MetricName;
use crate::vocab::{RuleId, UserId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A rule as stored; `rule` is the canonical text of a `milestones::rules::Rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    /// What `milestone remove <id>` takes.
    pub id: RuleId,
    pub metric: MetricName,
    pub rule: String,
    pub created_at: DateTime<Utc>,
    /// The admin who added it; `None` for configuration and the CLI.
    pub created_by: Option<UserId>,
    /// Its milestones at or below this had been passed when it was added; `None`
    /// when it came before the metric's first reading.
    pub passed_when_added: Option<u64>,
}

fn from_row(row: &AnyRow) -> Result<StoredRule, StorageError> {
    Ok(StoredRule {
        id: row.try_get("id")?,
        metric: metric_from_db(row.try_get("metric")?)?,
        rule: row.try_get("rule")?,
        created_at: Millis::to(row.try_get("created_at")?)?,
        created_by: row.try_get("created_by")?,
        passed_when_added: row
            .try_get::<Option<i64>, _>("baseline_bound")?
            .map(from_db)
            .transpose()?,
    })
}

/// Inserts a rule; `None` when the metric already has it.
pub async fn insert(
    conn: &mut AnyConnection,
    metric: &MetricName,
    rule: &str,
    at: DateTime<Utc>,
    by: Option<UserId>,
) -> Result<Option<RuleId>, StorageError> {
    let row = sqlx::query(
        "INSERT INTO milestone_rules (metric, rule, created_at, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (metric, rule) DO NOTHING RETURNING id",
    )
    .bind(metric.as_str().to_owned())
    .bind(rule.to_owned())
    .bind(Millis::from(at))
    .bind(by)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.try_get("id")).transpose().map_err(Into::into)
}

/// Deletes a rule; the deleted row, or `None` when there is no such id.
pub async fn delete(
    conn: &mut AnyConnection,
    id: RuleId,
) -> Result<Option<StoredRule>, StorageError> {
    let row = sqlx::query(
        "DELETE FROM milestone_rules WHERE id = $1
         RETURNING id, metric, rule, created_at, created_by, baseline_bound",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every rule, by metric then id.
pub async fn list_all(conn: &mut AnyConnection) -> Result<Vec<StoredRule>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, metric, rule, created_at, created_by, baseline_bound FROM milestone_rules ORDER BY metric, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// One metric's rules, by id.
pub async fn list_for(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<Vec<StoredRule>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, metric, rule, created_at, created_by, baseline_bound FROM milestone_rules
         WHERE metric = $1 ORDER BY id",
    )
    .bind(metric.as_str().to_owned())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Records the rule's own baseline: its milestones at or below `bound` were passed
/// when it was added.
pub async fn set_baseline(
    conn: &mut AnyConnection,
    id: RuleId,
    bound: u64,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE milestone_rules SET baseline_bound = $2 WHERE id = $1")
        .bind(id)
        .bind(to_db(bound)?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
