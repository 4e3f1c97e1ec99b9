//! `cargo xtask deps`: the architecture's dependency rule (docs/architecture.md), checked
//! against `cargo metadata`, so an edge the design forbids fails CI instead of compiling
//! quietly. Every workspace crate must be named here; each may depend (normal, build or dev)
//! only on the workspace crates its row lists. The arrows point down the layers and never
//! sideways: the two API surfaces share `api-types` and `http`, never each other.

use std::process::Command;

/// Each workspace crate and the workspace crates it may depend on (`tenantry-testkit` only as a
/// dev-dependency, for integration tests).
const ALLOWED: &[(&str, &[&str])] = &[
    ("tenantry-domain", &[]),
    ("tenantry-api-types", &["tenantry-domain"]),
    ("tenantry-storage", &["tenantry-domain", "tenantry-testkit"]),
    (
        "tenantry-service",
        &[
            "tenantry-domain",
            "tenantry-api-types",
            "tenantry-storage",
            "tenantry-testkit",
        ],
    ),
    ("tenantry-auth", &["tenantry-domain", "tenantry-storage"]),
    (
        "tenantry-http",
        &[
            "tenantry-domain",
            "tenantry-storage",
            "tenantry-service",
            "tenantry-auth",
        ],
    ),
    (
        "tenantry-webhook",
        &["tenantry-domain", "tenantry-storage", "tenantry-auth"],
    ),
    (
        "tenantry-worker",
        &[
            "tenantry-domain",
            "tenantry-storage",
            "tenantry-service",
            "tenantry-auth",
            "tenantry-webhook",
        ],
    ),
    ("tenantry-reseller-api", SURFACE),
    ("tenantry-tenant-api", SURFACE),
    // The tenant surface's pages: beside the Tenant API, importing neither API crate.
    ("tenantry-portal", SURFACE),
    (
        "tenantry",
        &[
            "tenantry-domain",
            "tenantry-api-types",
            "tenantry-storage",
            "tenantry-service",
            "tenantry-auth",
            "tenantry-http",
            "tenantry-webhook",
            "tenantry-worker",
            "tenantry-reseller-api",
            "tenantry-tenant-api",
            "tenantry-portal",
            "tenantry-testkit",
        ],
    ),
    // The application a test mounts its surfaces into, never a surface itself: a surface
    // crate's own tests mount that surface alone.
    (
        "tenantry-testkit",
        &[
            "tenantry-domain",
            "tenantry-storage",
            "tenantry-service",
            "tenantry-auth",
            "tenantry-http",
            "tenantry-webhook",
        ],
    ),
    ("xtask", &[]),
];

/// What an API surface may use: everything below it, nothing beside it.
const SURFACE: &[&str] = &[
    "tenantry-domain",
    "tenantry-api-types",
    "tenantry-storage",
    "tenantry-service",
    "tenantry-auth",
    "tenantry-http",
    "tenantry-testkit",
];

/// Runs the check on this workspace.
pub fn run() -> Result<(), String> {
    let out = Command::new(env!("CARGO"))
        .current_dir(crate::root())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let edges = edges(&metadata)?;
    let broken = check(&crates(&metadata), &edges, ALLOWED);
    if broken.is_empty() {
        println!(
            "dependency rule: {} edges between {} workspace crates, none forbidden",
            edges.len(),
            ALLOWED.len()
        );
        Ok(())
    } else {
        Err(format!(
            "the dependency rule is broken (docs/architecture.md):\n  {}",
            broken.join("\n  ")
        ))
    }
}

/// The workspace's crates.
fn crates(metadata: &serde_json::Value) -> Vec<String> {
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

/// (crate, workspace crate it depends on) for every workspace package in `metadata`.
fn edges(metadata: &serde_json::Value) -> Result<Vec<(String, String)>, String> {
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata lists no packages")?;
    let ours: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut edges = Vec::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let target = dependency["name"].as_str().unwrap_or_default();
            if ours.contains(&target) {
                edges.push((name.to_owned(), target.to_owned()));
            }
        }
    }
    edges.sort();
    edges.dedup();
    Ok(edges)
}

/// The crates `allowed` does not name and the edges it does not permit, as messages.
fn check(
    crates: &[String],
    edges: &[(String, String)],
    allowed: &[(&str, &[&str])],
) -> Vec<String> {
    let mut broken: Vec<String> = crates
        .iter()
        .filter(|c| !allowed.iter().any(|(name, _)| name == c))
        .map(|c| format!("{c} is not in xtask/src/deps.rs: give it a row saying what it may use"))
        .collect();
    for (from, to) in edges {
        let permitted = allowed
            .iter()
            .find(|(name, _)| name == from)
            .is_none_or(|(_, may)| may.contains(&to.as_str()));
        if !permitted {
            broken.push(format!("{from} → {to} is forbidden"));
        }
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(packages: &[(&str, &[&str])]) -> serde_json::Value {
        json!({
            "packages": packages.iter().map(|(name, deps)| json!({
                "name": name,
                "dependencies": deps.iter().map(|d| json!({"name": d, "kind": null})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()
        })
    }

    #[test]
    fn the_allowed_graph_passes() {
        let graph = metadata(&[
            ("tenantry-domain", &["serde"]),
            ("tenantry-api-types", &["tenantry-domain", "utoipa"]),
            ("tenantry-reseller-api", SURFACE),
            ("tenantry-tenant-api", SURFACE),
            // The tenant surface's pages: beside the Tenant API, importing neither API crate.
            ("tenantry-portal", SURFACE),
        ]);
        assert_eq!(
            check(&crates(&graph), &edges(&graph).unwrap(), ALLOWED),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_surface_importing_the_other_fails() {
        let graph = metadata(&[
            (
                "tenantry-reseller-api",
                &["tenantry-domain", "tenantry-tenant-api"],
            ),
            ("tenantry-tenant-api", &["tenantry-domain"]),
            ("tenantry-domain", &[]),
        ]);
        assert_eq!(
            check(&crates(&graph), &edges(&graph).unwrap(), ALLOWED),
            ["tenantry-reseller-api → tenantry-tenant-api is forbidden"]
        );
    }

    #[test]
    fn an_upward_edge_and_an_unlisted_crate_fail() {
        let graph = metadata(&[
            ("tenantry-domain", &["tenantry-storage"]),
            ("tenantry-storage", &[]),
            ("tenantry-dashboard", &["tenantry-domain"]),
        ]);
        let broken = check(&crates(&graph), &edges(&graph).unwrap(), ALLOWED);
        assert_eq!(broken.len(), 2, "{broken:?}");
        assert!(broken[0].contains("tenantry-dashboard is not in"));
        assert!(broken[1].contains("tenantry-domain → tenantry-storage"));
    }

    #[test]
    fn this_workspace_keeps_the_rule() {
        run().unwrap();
    }

    #[test]
    fn every_allowed_target_is_a_listed_crate() {
        let listed: Vec<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
        for (name, may) in ALLOWED {
            for target in *may {
                assert!(listed.contains(target), "{name} may use unknown {target}");
                assert_ne!(name, target);
            }
        }
    }
}
