//! `--scale --queue-only`: queueing a broadcast and counting its progress at scale,
//! without the bot, on this build's schema and on the one before migration 0170.

use super::queue;
use super::setup::Database;
use milestone_bot::storage::{Backend, Db};
use std::time::Instant;

/// The delivery indexes as they were before migration 0170 (a claim index over
/// every row, the foreign key on PostgreSQL, no tally index on SQLite): the anchor.
async fn restore_schema_before_0170(db: &Db) -> anyhow::Result<()> {
    let statements: &[&'static str] = match db.backend() {
        Backend::Sqlite => &[
            "DROP INDEX deliveries_tally",
            "DROP INDEX deliveries_claim",
            "CREATE INDEX deliveries_claim ON deliveries (claim)",
        ],
        Backend::Postgres => &[
            "DROP INDEX deliveries_claim",
            "CREATE INDEX deliveries_claim ON deliveries (claim)",
            "ALTER TABLE deliveries ADD CONSTRAINT deliveries_announcement_id_fkey
               FOREIGN KEY (announcement_id) REFERENCES announcements (id)",
        ],
    };
    let mut tx = db.pool().begin().await?;
    for sql in statements {
        sqlx::query(*sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Queueing alone: `n` chats written directly, then two announcements queued, with
/// the schema before migration 0170 (the anchor) and with this build's.
pub(super) async fn queue_only(backend: Backend, n: usize) -> anyhow::Result<()> {
    let name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    for anchor in [true, false] {
        let schema = if anchor {
            "before 0170 (anchor)"
        } else {
            "this build"
        };
        let database = Database::new(backend).await?;
        let db = Db::connect_and_migrate(database.url()).await?;
        if anchor {
            restore_schema_before_0170(&db).await?;
        }
        let started = Instant::now();
        sqlx::query(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1)
             INSERT INTO chats (id, kind, title, subscribed, subscribed_at, updated_at)
             SELECT -1001000000000 - i, 'channel', 'Channel', 1, 0, 0 FROM seq",
        )
        .bind(n as i64)
        .execute(db.pool())
        .await?;
        eprintln!(
            "  {n} chats written in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        for key in ["first", "second"] {
            let (id, queued, took) = queue(&db, key).await?;
            println!(
                "| {name} | {schema} | {n} | queue the {key} announcement | {queued} deliveries | {:.2} s |",
                took.as_secs_f64()
            );
            // What every progress tick asks while the broadcast runs.
            let started = Instant::now();
            let t = milestone_bot::broadcast::progress::tally(&db, id.into()).await?;
            println!(
                "| {name} | {schema} | {n} | one progress tally of it | {} counted | {:.3} s |",
                t.total(),
                started.elapsed().as_secs_f64()
            );
        }
        db.close().await;
        database.drop_now().await;
    }
    Ok(())
}
