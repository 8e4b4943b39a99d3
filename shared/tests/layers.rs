//! The shared crate's layers, held by its own sources: `edge` → `operations` → `store` →
//! `domain`, every import running down (never up), no loop between modules, no glob import,
//! at most eight entries at the top of `src/`, and no source file over 400 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each layer and the height it stands at; a file may name only layers at or below its own.
const LAYERS: [(&str, u8); 5] = [
    ("domain", 0),
    ("store", 1),
    ("operations", 2),
    ("edge", 3),
    // API Gateway's side, for the local server and tests: beside the edge.
    ("emulation", 3),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file below `src/`, by its path relative to `src/`, with its text.
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut out: Vec<(String, String)> = files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn height(layer: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == layer)
        .map(|(_, h)| *h)
}

/// The code of a file without its comments (a doc link is no import).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b…` path a text names, as its segments (in strings too: a serde
/// attribute's `"crate::…"` is an import all the same).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    paths_after(text, "crate::")
}

/// Every path that follows `head` (`crate::`, `super::`) in a text, as its segments.
fn paths_after(text: &str, head: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(head) {
        let before = rest[..at].chars().last();
        rest = &rest[at + head.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        found.push(
            path.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        );
    }
    found
}

/// The module a `super::` path of a file names, where it leaves the file's own module: from
/// `store/tables.rs` (or `store/tables/mod.rs`), `super::dynamo::X` is `store/dynamo`.
fn unit_of_super(rel: &str, path: &[String]) -> Option<String> {
    let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
    let layer = match parts.as_slice() {
        [layer, _] | [layer, _, "mod"] => *layer,
        _ => return None, // deeper files reach their own module's mod.rs
    };
    let first = path.first()?;
    let module = src().join(layer).join(first);
    Some(if module.is_dir() || module.with_extension("rs").exists() {
        format!("{layer}/{first}")
    } else {
        layer.to_owned()
    })
}

/// The module a file belongs to for the loop check: its layer and the first folder or file
/// below it (`operations/create`, `domain/limits`), or the layer itself for its `mod.rs`.
fn unit_of_file(rel: &str) -> String {
    let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
    match parts.as_slice() {
        [layer, "mod"] => (*layer).to_owned(),
        [layer, module, ..] => format!("{layer}/{module}"),
        [file] => (*file).to_owned(),
        [] => String::new(),
    }
}

#[test]
fn imports_run_down_the_layers() {
    let mut upward = Vec::new();
    for (rel, text) in sources() {
        let Some(own) = rel.split('/').next().filter(|_| rel.contains('/')) else {
            continue; // lib.rs: the crate's face, declaring the layers
        };
        let own_height = height(own).unwrap_or_else(|| panic!("{rel}: not in a layer"));
        for path in crate_paths(&code(&text)) {
            let Some(target) = path.first() else { continue };
            let target_height =
                height(target).unwrap_or_else(|| panic!("{rel}: crate::{target} is no layer"));
            if target_height > own_height {
                upward.push(format!("{rel}: crate::{}", path.join("::")));
            }
        }
        // A layer's `mod.rs` reaching the crate root through `super::` leaves its layer.
        if rel.ends_with("/mod.rs") && rel.matches('/').count() == 1 {
            assert!(
                !code(&text).contains("super::"),
                "{rel}: super:: leaves the layer"
            );
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run up a layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_module_loops() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources() {
        let from = unit_of_file(&rel);
        for path in crate_paths(&code(&text)) {
            let to = match path.as_slice() {
                [layer, module, ..] if height(layer).is_some() => {
                    let file = src().join(layer).join(format!("{module}.rs"));
                    let dir = src().join(layer).join(module);
                    if file.exists() || dir.is_dir() {
                        format!("{layer}/{module}")
                    } else {
                        layer.clone() // an item of the layer's mod.rs
                    }
                }
                [layer, ..] => layer.clone(),
                [] => continue,
            };
            if to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
        // A unit test module's `super::` is its own file; such modules end their files.
        let outside_tests = text.split("#[cfg(test)]").next().unwrap_or_default();
        for path in paths_after(&code(outside_tests), "super::") {
            if let Some(to) = unit_of_super(&rel, &path).filter(|to| *to != from) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            panic!("modules that import each other: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn no_glob_imports() {
    let mut globs = Vec::new();
    for (rel, text) in sources() {
        for (n, line) in code(&text).lines().enumerate() {
            let line = line.trim();
            // A unit test module's `use super::*;` is the one idiom allowed.
            if line.starts_with("use ") && line.ends_with("::*;") && line != "use super::*;" {
                globs.push(format!("{rel}:{}: {line}", n + 1));
            }
        }
    }
    assert!(globs.is_empty(), "glob imports:\n{}", globs.join("\n"));
}

#[test]
fn the_top_of_src_holds_the_layers() {
    let entries: Vec<String> = fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "lib.rs")
        .collect();
    assert!(entries.len() <= 8, "{entries:?}");
    for (layer, _) in LAYERS {
        assert!(src().join(layer).is_dir(), "no folder src/{layer}");
    }
}

#[test]
fn no_source_file_over_400_lines() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for dir in [
        "shared/src",
        "shared/tests",
        "shared/benches",
        "functions",
        "tools",
    ] {
        rust_files(&workspace.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "target"))
        .filter_map(|p| {
            let lines = fs::read_to_string(p).unwrap().lines().count();
            (lines > 400).then(|| format!("{} ({lines} lines)", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "files over 400 lines: {long:?}");
}

/// The checks can fail: a path that runs up is found, in code and in a string alike.
#[test]
fn an_upward_path_is_seen() {
    let text = "use crate::edge::wire::X;\n#[serde(with = \"crate::operations::y\")]\n// crate::edge in a comment\n";
    let paths = crate_paths(&code(text));
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert_eq!(paths[0], ["edge", "wire", "X"]);
    assert_eq!(paths[1], ["operations", "y"]);
    assert_eq!(unit_of_file("operations/create.rs"), "operations/create");
    assert_eq!(unit_of_file("domain/limits/credits.rs"), "domain/limits");
    assert_eq!(unit_of_file("edge/mod.rs"), "edge");
    let dynamo = ["dynamo".to_owned(), "Client".to_owned()];
    assert_eq!(
        unit_of_super("store/tables.rs", &dynamo).as_deref(),
        Some("store/dynamo")
    );
    assert_eq!(unit_of_super("store/dynamo/usage.rs", &dynamo), None);
}
