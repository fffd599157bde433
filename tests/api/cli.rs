//! The binary's behaviour on bad settings: one clear line, a failing exit code, no
//! secret in the output, no crash loop.

use std::process::Command;

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

#[test]
fn run_without_a_token_stops_with_one_line_naming_the_variable() {
    let (code, out) = milestone_bot(&[], &["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TELOXIDE_TOKEN: is not set"), "{out}");
}

#[test]
fn run_with_an_empty_token_is_refused_like_a_missing_one() {
    let (code, out) = milestone_bot(&[("TELOXIDE_TOKEN", "")], &["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TELOXIDE_TOKEN"), "{out}");
}

#[test]
fn a_malformed_database_url_is_named_in_the_error() {
    let (code, out) = milestone_bot(
        &[
            ("TELOXIDE_TOKEN", "1:abc"),
            ("DATABASE_URL", "mysql://db/x"),
        ],
        &["run"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DATABASE_URL:"), "{out}");
}

#[test]
fn an_unreachable_bot_api_fails_the_start_without_printing_the_token() {
    let token = "4242:DoNotPrintThisSecret";
    let (code, out) = milestone_bot(
        &[
            ("TELOXIDE_TOKEN", token),
            ("TELEGRAM_API_URL", "http://127.0.0.1:9/"),
            ("HTTP_ADDR", "127.0.0.1:0"),
        ],
        &["run"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("getMe"), "{out}");
    assert!(
        !out.contains("DoNotPrintThisSecret"),
        "the token leaked: {out}"
    );
}

#[test]
fn chats_on_a_fresh_database_prints_an_empty_table() {
    let (code, out) = milestone_bot(&[], &["chats"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 subscribed chat(s)"), "{out}");
}
