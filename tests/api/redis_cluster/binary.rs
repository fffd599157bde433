//! The binary configured with `REDIS_CLUSTER_NODES`, as an operator runs it.

use super::*;
use std::process::Command;

/// Runs `milestone-bot` with only `envs` (and `PATH`); exit code and all output.
fn milestone_bot(envs: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_milestone-bot"));
    cmd.current_dir(dir.path())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// An unreachable server whose password must never be printed.
const IGNORED_URL: &str = "redis://:IgnoredUrlSecret@127.0.0.1:9";

#[tokio::test]
async fn record_count_and_sketch_export_import_use_the_cluster_and_ignore_redis_url() {
    let prefix = prefix();
    let Some((store, mut conn)) = cluster(&prefix).await else {
        return;
    };
    let Some(single_url) = env_or_skip("TEST_REDIS_URL") else {
        return;
    };
    let nodes = std::env::var("TEST_REDIS_CLUSTER_URLS").unwrap();
    let env = [
        ("SKETCH_BACKEND", "redis"),
        ("REDIS_CLUSTER_NODES", nodes.as_str()),
        ("REDIS_URL", IGNORED_URL),
        ("REDIS_PREFIX", prefix.as_str()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ids.txt");
    std::fs::write(&file, ids(0..5_000).join("\n")).unwrap();
    let exported_key = format!("{prefix}:exported");
    let mau = metric("mau");

    let record = milestone_bot(
        &env,
        &[
            "record",
            "--metric",
            "mau",
            "--day",
            "2026-11-26",
            file.to_str().unwrap(),
        ],
    );
    let expected = store.count(&mau, day(26)).await.unwrap();
    let count = milestone_bot(&env, &["count", "--metric", "mau", "--at", "2026-11-26"]);
    let export = milestone_bot(
        &env,
        &[
            "sketch",
            "export",
            "--metric",
            "mau",
            "--day",
            "2026-11-26",
            "--redis",
            &single_url,
            "--key",
            &exported_key,
        ],
    );
    let import = milestone_bot(
        &env,
        &[
            "sketch",
            "import",
            "--metric",
            "mau",
            "--day",
            "2026-11-20",
            "--redis",
            &single_url,
            "--key",
            &exported_key,
        ],
    );
    let recorded_day = store.day_sketch(&mau.name, day(26)).await.unwrap();
    let imported_day = store.day_sketch(&mau.name, day(20)).await.unwrap();

    delete_keys_on(&mut conn, &format!("{{{prefix}:*")).await;
    delete_keys(&single_url, &exported_key).await;
    for (code, out) in [&record, &count, &export, &import] {
        assert_eq!(*code, 0, "{out}");
        assert!(
            out.contains(
                "sketch store: Redis Cluster from REDIS_CLUSTER_NODES; REDIS_URL is ignored"
            ),
            "{out}"
        );
        assert!(!out.contains("IgnoredUrlSecret"), "{out}");
    }
    assert!(record.1.contains("recorded 5,000 ids"), "{}", record.1);
    assert_close(expected, 5_000);
    let shown = milestone_bot::text::number::format_grouped(expected.value);
    assert!(count.1.contains(&format!(" {shown} ")), "{}", count.1);
    assert!(
        export.1.contains(&format!("(Redis counts {shown})")),
        "{}",
        export.1
    );
    assert!(recorded_day.is_some());
    assert_eq!(imported_day, recorded_day);
}

#[tokio::test]
async fn run_on_the_cluster_logs_at_start_that_redis_url_is_ignored() {
    let Some(nodes) = env_or_skip("TEST_REDIS_CLUSTER_URLS") else {
        return;
    };
    // The Bot API is unreachable, so `run` stops right after opening the store.
    let (code, out) = milestone_bot(
        &[
            ("TELOXIDE_TOKEN", "4242:DoNotPrintThisSecret"),
            ("TELEGRAM_API_URL", "http://127.0.0.1:9/"),
            ("HTTP_ADDR", "127.0.0.1:0"),
            ("SKETCH_BACKEND", "redis"),
            ("REDIS_CLUSTER_NODES", &nodes),
            ("REDIS_URL", IGNORED_URL),
        ],
        &["run"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("getMe"), "it got as far as Telegram: {out}");
    assert!(out.contains("REDIS_URL is ignored"), "{out}");
    assert!(!out.contains("IgnoredUrlSecret"), "{out}");
}

#[test]
fn a_malformed_cluster_node_list_stops_the_binary_naming_the_variable_not_the_password() {
    let (code, out) = milestone_bot(
        &[
            ("SKETCH_BACKEND", "redis"),
            (
                "REDIS_CLUSTER_NODES",
                "redis://:NodeSecret@127.0.0.1:7000;redis://:NodeSecret@127.0.0.1:7001",
            ),
        ],
        &["count"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("REDIS_CLUSTER_NODES: node 1 of 1 is not a Redis URL"),
        "{out}"
    );
    assert!(
        out.contains("redis://10.0.0.1:6379,redis://10.0.0.2:6379"),
        "{out}"
    );
    assert!(!out.contains("NodeSecret"), "{out}");
}

#[test]
fn an_unreachable_cluster_fails_the_start_naming_the_variable_not_the_password() {
    let (code, out) = milestone_bot(
        &[
            ("SKETCH_BACKEND", "redis"),
            ("REDIS_CLUSTER_NODES", "redis://:NodeSecret@127.0.0.1:9"),
        ],
        &["count"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("connecting to the Redis Cluster (REDIS_CLUSTER_NODES)"),
        "{out}"
    );
    assert!(!out.contains("NodeSecret"), "{out}");
}
