//! Project tasks: `cargo xtask test`, `cargo xtask openapi [--check]`, `cargo xtask deps`,
//! `cargo xtask bench`, `cargo xtask ci`.
//! Kept to a few dependencies; the server binary does the real work where it can.

mod bench;
mod deps;
mod webhook_bench;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("openapi") => openapi(args.iter().any(|a| a == "--check")),
        Some("bench") => bench::run(&args[1..]),
        Some("deps") => deps::run(),
        Some("ci") => status(Command::new("bash").arg(root().join(".ci/run"))),
        Some("test") => test(&args[1..]),
        _ => Err(
            "usage: cargo xtask <test [nextest args] | openapi [--check] | deps | bench [--sqlite-only] [--postgres URL] [--sync-tenants N] [--only webhooks|analytics|onboarding|sync] [--server PATH] | ci>"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn status(cmd: &mut Command) -> Result<(), String> {
    let s = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    s.success()
        .then_some(())
        .ok_or_else(|| format!("{cmd:?} failed: {s}"))
}

/// What the browser tests drive: Debian's Chromium and its WebDriver.
const BROWSER: [(&str, &str); 2] = [
    ("/usr/bin/chromium", "chromium"),
    ("/usr/bin/chromedriver", "chromium-driver"),
];

/// `cargo xtask test`: the whole suite (`cargo nextest run --workspace` and any arguments
/// given), after installing with apt what the browser tests need when it is missing, so one
/// command runs every test on a fresh Debian machine.
fn test(args: &[String]) -> Result<(), String> {
    let missing: Vec<&str> = BROWSER
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(_, package)| *package)
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "xtask: installing {} for the browser tests",
            missing.join(" ")
        );
        let install = |update: bool| {
            let mut apt = Command::new("apt-get");
            if update {
                apt.args(["update", "-qq"]);
            } else {
                apt.args(["install", "-y", "-qq"]).args(&missing);
            }
            apt.env("DEBIAN_FRONTEND", "noninteractive");
            status(&mut apt)
        };
        install(false)
            .or_else(|_| install(true).and_then(|()| install(false)))
            .map_err(|e| {
                format!(
                    "{e}: install {} to run the browser tests",
                    missing.join(" ")
                )
            })?;
    }
    status(
        Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["nextest", "run", "--workspace"])
            .args(args),
    )
}

/// The API surfaces with an OpenAPI document.
const SURFACES: &[&str] = &["reseller", "tenant"];

/// Writes (or with `--check`, compares) docs/openapi/*.json from the server binary.
fn openapi(check: bool) -> Result<(), String> {
    for surface in SURFACES {
        let out = Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["run", "--quiet", "-p", "tenantry", "--", "openapi", surface])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let path = root().join(format!("docs/openapi/{surface}.json"));
        if check {
            let committed = std::fs::read(&path).unwrap_or_default();
            if committed != out.stdout {
                return Err(format!(
                    "{} is stale: run `cargo xtask openapi`",
                    path.display()
                ));
            }
        } else {
            std::fs::write(&path, &out.stdout).map_err(|e| e.to_string())?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
