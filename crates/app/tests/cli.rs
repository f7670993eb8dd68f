//! The `corkboard` binary as an operator uses it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn corkboard(data_dir: &std::path::Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corkboard"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("CORKBOARD_")) {
        cmd.env_remove(key);
    }
    cmd.env("CORKBOARD_DATA_DIR", data_dir).env("CORKBOARD_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("corkboard starts");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("stdin written");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("corkboard ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_check_reports_every_bad_value_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = corkboard(
        dir.path(),
        &["config", "check"],
        &[("CORKBOARD_LISTEN", "nowhere"), ("CORKBOARD_REDIS_URL", "http://x"), ("CORKBOARD_LOG_FORMAT", "xml")],
        None,
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.to_lowercase().contains("log_format") && err.contains("xml"), "{err}");
    let out = corkboard(
        dir.path(),
        &["config", "check"],
        &[("CORKBOARD_LISTEN", "nowhere"), ("CORKBOARD_REDIS_URL", "http://x")],
        None,
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("listen: 'nowhere'") && err.contains("redis_url"), "{err}");
}

#[test]
fn config_check_never_prints_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = corkboard(
        dir.path(),
        &["config", "check"],
        &[
            ("CORKBOARD_DATABASE_URL", "postgres://corkboard:hunter2@db/corkboard"),
            ("CORKBOARD_HTTP__BODY_LIMIT_BYTES", "2048"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("body_limit_bytes: 2048"), "{printed}");
    assert!(!printed.contains("hunter2"), "{printed}");
}

#[test]
fn admin_create_reads_the_password_from_stdin_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["admin", "create", "--email", "Boss@Example.com", "--name", "Boss", "--password-stdin"];
    let out = corkboard(dir.path(), &args, &[], Some("a long password\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created administrator boss@example.com"));
    let again = corkboard(dir.path(), &args, &[], Some("a long password\n"));
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("email already in use"), "{}", text(&again.stderr));
    let short = corkboard(
        dir.path(),
        &["admin", "create", "--email", "b@x.io", "--name", "B", "--password-stdin"],
        &[],
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(text(&short.stderr).contains("password"), "{}", text(&short.stderr));
    assert!(dir.path().join("corkboard.db").exists(), "the SQLite file lives under the data dir");
}

#[test]
fn migrate_status_lists_applied_migrations_and_down_reverts_one() {
    let dir = tempfile::tempdir().unwrap();
    let up = corkboard(dir.path(), &["migrate", "up"], &[], None);
    assert!(up.status.success(), "{}", text(&up.stderr));
    let status = text(&corkboard(dir.path(), &["migrate", "status"], &[], None).stdout);
    assert!(status.lines().count() >= 3 && status.lines().all(|l| l.ends_with("Applied")), "{status}");
    let down = corkboard(dir.path(), &["migrate", "down"], &[], None);
    assert!(down.status.success(), "{}", text(&down.stderr));
    let status = text(&corkboard(dir.path(), &["migrate", "status"], &[], None).stdout);
    assert!(status.lines().last().is_some_and(|l| l.ends_with("Pending")), "{status}");
}

#[test]
fn openapi_prints_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = corkboard(dir.path(), &["openapi"], &[], None);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/auth/login"]["post"].is_object());
}

#[test]
fn a_toml_file_is_read_and_the_environment_wins_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("corkboard.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:9999\"\n[http]\nrequest_timeout_secs = 7\n").unwrap();
    let path = file.to_str().unwrap();
    let out = corkboard(
        dir.path(),
        &["config", "check"],
        &[("CORKBOARD_CONFIG", path), ("CORKBOARD_LISTEN", "127.0.0.1:7777")],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("request_timeout_secs: 7"), "{printed}");
    assert!(printed.contains("127.0.0.1:7777") && !printed.contains("9999"), "{printed}");
    std::fs::write(&file, "lissen = \"typo\"\n").unwrap();
    let typo = corkboard(dir.path(), &["config", "check"], &[("CORKBOARD_CONFIG", path)], None);
    assert!(!typo.status.success());
    assert!(text(&typo.stderr).contains("lissen"), "{}", text(&typo.stderr));
}
