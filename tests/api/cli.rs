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

#[test]
fn audit_on_a_fresh_database_prints_an_empty_table() {
    let (code, out) = milestone_bot(&[], &["audit", "--limit", "5"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ACTION") && out.contains("0 entries"), "{out}");
}

#[test]
fn a_malformed_or_unreachable_database_url_never_prints_its_password() {
    for url in [
        "postgre://user:secret@db/x",
        "postgres//user:secret@db/x",
        "mysql://user:secret@db/x",
        "user:secret@db/x",
        "postgres://user:secret@[db/x",
        "postgres://user:secret@db:notaport/x",
        "postgres://user:secret@db/x?sslmode=bogus",
    ] {
        let (code, out) = milestone_bot(&[("DATABASE_URL", url)], &["migrate"]);
        assert_eq!(code, 1, "{url}: {out}");
        assert!(
            out.contains("DATABASE_URL") || out.contains("database"),
            "{url}: {out}"
        );
        assert!(!out.contains("secret"), "{url} leaked its password: {out}");
    }
}

#[test]
fn logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let (code, out) = milestone_bot(
        &[
            ("TELOXIDE_TOKEN", "4242:NoColourPlease"),
            ("TELEGRAM_API_URL", "http://127.0.0.1:9/"),
            ("HTTP_ADDR", "127.0.0.1:0"),
            ("RUST_LOG", "debug"),
        ],
        &["run"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DEBUG"), "some log lines were written: {out}");
    assert!(
        !out.contains('\u{1b}'),
        "an ANSI escape in piped logs: {out}"
    );
}
