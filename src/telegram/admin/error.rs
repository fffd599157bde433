//! Why an admin request did not happen, and how the admin is told: the one module
//! every action imports, so the actions never import each other for it.

use super::parse::UsageError;
use crate::broadcast::ops::OpsError;
use crate::milestones::rules_store::RuleStoreError;
use crate::milestones::texts::TextsError;
use crate::text::html::escape_html;

/// Why an action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The admin asked for something that cannot be done (unknown id, invalid HTML…);
    /// the text is shown to them.
    #[error("{0}")]
    User(String),
    /// Our side failed; logged, and the admin gets a short apology.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::storage::StorageError> for ActionError {
    fn from(e: crate::storage::StorageError) -> Self {
        ActionError::Internal(e.into())
    }
}

impl From<OpsError> for ActionError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::Storage(inner) => ActionError::Internal(inner.into()),
            other => ActionError::User(other.to_string()),
        }
    }
}

impl From<RuleStoreError> for ActionError {
    fn from(e: RuleStoreError) -> Self {
        match e {
            RuleStoreError::Storage(inner) => ActionError::Internal(inner.into()),
            other => ActionError::User(other.to_string()),
        }
    }
}

impl From<TextsError> for ActionError {
    fn from(e: TextsError) -> Self {
        match e {
            TextsError::Storage(inner) => ActionError::Internal(inner.into()),
            other => ActionError::User(other.to_string()),
        }
    }
}

/// A usage error, shown to an admin.
pub fn usage_error(e: &UsageError) -> String {
    format!(
        "⚠️ {}\nUsage: <code>{}</code>",
        escape_html(&e.problem),
        escape_html(&e.usage)
    )
}

/// An action that could not be done, shown to an admin.
pub fn action_refused(problem: &str) -> String {
    format!("⚠️ {}", escape_html(problem))
}
