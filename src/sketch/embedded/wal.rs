//! Whether anything was committed to a SQLite database since the last look, without
//! a query: the wal-index header at the start of its `-shm` file.
//!
//! In WAL mode every commit, by any connection of any process, updates that header
//! before new readers can see the commit (its frame count and change counter move;
//! a restarted log gets new salts). SQLite keeps two copies of the 48-byte header,
//! written one after the other, and trusts them only when they agree; so do we, and
//! a header caught mid-write counts as "changed". The layout is SQLite's documented
//! WAL-index format (<https://sqlite.org/walformat.html>), shared by every version
//! that opens the same file.
//!
//! A count on SQLite asks the database only when the header differs from the one it
//! read before its previous question: on this 2-core VM a query is a round trip to
//! SQLite's worker thread, from 2.5 µs to 60 µs depending on whether the other CPU
//! has to be woken, while reading the header is one `pread`.
//!
//! The file is held open only while the reader's connection is: SQLite removes the
//! `-shm` file only when the last connection closes, so it cannot be replaced while
//! we watch it.

use crate::storage::sketches;
use sqlx::AnyConnection;
use std::fs::File;

/// Both copies of the wal-index header.
pub(super) type Header = [u8; 2 * HEADER_LEN];

const HEADER_LEN: usize = 48;
/// `isInit`: the header has been written since the file was created.
const IS_INIT: usize = 12;

pub(super) struct WalIndex {
    shm: File,
}

impl WalIndex {
    /// The wal-index of the database `conn` has open, if that is a SQLite file in
    /// WAL mode; `None` (ask every time) for anything else.
    pub(super) async fn of(conn: &mut AnyConnection) -> Option<WalIndex> {
        let path = sketches::sqlite_wal_file(conn).await?;
        let shm = File::open(format!("{path}-shm")).ok()?;
        Some(WalIndex { shm })
    }

    /// The header now; `None` if it cannot be read or is being written.
    pub(super) fn header(&self) -> Option<Header> {
        let mut header = [0u8; 2 * HEADER_LEN];
        read_at(&self.shm, &mut header)?;
        let (first, second) = header.split_at(HEADER_LEN);
        (first == second && first[IS_INIT] == 1).then_some(header)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8]) -> Option<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, 0).ok()
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8]) -> Option<()> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Db;

    async fn sqlite(dir: &tempfile::TempDir) -> Db {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        Db::connect_and_migrate(&url).await.unwrap()
    }

    const WRITE: &str = "INSERT INTO sketches (metric, day, bytes, updated_at) \
         VALUES ('mau', $1, x'00', 1)";

    #[tokio::test]
    async fn the_header_moves_with_every_commit_of_another_connection_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(&dir).await;
        let mut conn = db.pool().acquire().await.unwrap().detach();
        let wal = WalIndex::of(&mut conn)
            .await
            .expect("a SQLite file in WAL mode");

        let mut seen = vec![wal.header().expect("a header")];
        for day in ["2026-11-01", "2026-11-02"] {
            // Reads, ours or the pool's, change nothing.
            sqlx::query("SELECT COUNT(*) FROM sketches")
                .fetch_one(db.pool())
                .await
                .unwrap();
            assert_eq!(wal.header().as_ref(), seen.last());
            sqlx::query(WRITE)
                .bind(day)
                .execute(db.pool())
                .await
                .unwrap();
            let now = wal.header().expect("a header");
            assert!(!seen.contains(&now), "a commit to {day} moved the header");
            seen.push(now);
        }
    }

    #[tokio::test]
    async fn there_is_no_header_to_watch_without_a_wal_file() {
        let db = Db::connect_and_migrate("sqlite::memory:").await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap().detach();
        assert!(WalIndex::of(&mut conn).await.is_none());
    }
}
