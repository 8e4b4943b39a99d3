//! The documentation holds together: every relative link in `README.md` and `docs/*.md`
//! names a file that exists and, with a `#anchor`, a heading of that file (by GitHub's
//! slug rule); the README stays a short landing page that links every file of `docs/`.
//! Standard library only.

mod markdown;

use markdown::{anchors, is_external, links, percent_decode, slug};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The most lines the README may have.
const README_MAX_LINES: usize = 300;

/// The repository root (`shared/..`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `README.md` and every `docs/*.md`, in a stable order.
fn doc_files() -> Vec<PathBuf> {
    let root = root();
    let mut docs: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    let mut files = vec![root.join("README.md")];
    files.extend(docs);
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A path as the failure messages show it: relative to the repository root.
fn shown(path: &Path) -> String {
    let root = fs::canonicalize(root()).expect("repository root");
    let full = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    full.strip_prefix(&root)
        .unwrap_or(&full)
        .display()
        .to_string()
}

/// What is wrong with a relative link from `file`, if anything.
fn problem(
    file: &Path,
    target: &str,
    anchor_cache: &mut HashMap<PathBuf, HashSet<String>>,
) -> Option<String> {
    if target.is_empty() || target == "#" {
        return Some("empty link target".to_string());
    }
    let (path_part, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(percent_decode(anchor))),
        None => (target, None),
    };
    let path_part = path_part.split('?').next().unwrap_or_default();
    let dir = file.parent().expect("a file has a folder");
    let linked = if path_part.is_empty() {
        file.to_path_buf()
    } else {
        dir.join(percent_decode(path_part))
    };
    let as_written = || Path::new(&shown(dir)).join(path_part).display().to_string();
    if !linked.exists() {
        return Some(format!("no such file or folder: {}", as_written()));
    }
    if path_part.ends_with('/') && !linked.is_dir() {
        return Some(format!("not a folder: {}", as_written()));
    }
    let anchor = anchor.filter(|a| !a.is_empty())?;
    let is_markdown = linked.is_file()
        && linked
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("md"));
    if !is_markdown {
        // Line anchors of other files (`#L10`) are GitHub's own; nothing to check here.
        return None;
    }
    let key = fs::canonicalize(&linked).unwrap_or(linked.clone());
    let known = anchor_cache
        .entry(key)
        .or_insert_with(|| anchors(&read(&linked)));
    (!known.contains(&anchor)).then(|| format!("no heading #{anchor} in {}", shown(&linked)))
}

/// Every broken relative link of the given files, as `file:line: target (what is wrong)`.
fn broken_links(files: &[PathBuf]) -> Vec<String> {
    let mut cache = HashMap::new();
    let mut broken = Vec::new();
    for file in files {
        for link in links(&read(file)) {
            if is_external(&link.target) {
                continue;
            }
            if let Some(what) = problem(file, &link.target, &mut cache) {
                broken.push(format!(
                    "{}:{}: {} ({what})",
                    shown(file),
                    link.line,
                    link.target
                ));
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_names_an_existing_file_and_heading() {
    let files = doc_files();
    assert!(files.len() > 1, "docs/ holds no Markdown file");
    let broken = broken_links(&files);
    for line in &broken {
        println!("broken link: {line}");
    }
    assert!(
        broken.is_empty(),
        "{} broken link(s):\n{}",
        broken.len(),
        broken.join("\n")
    );
}

#[test]
fn readme_is_a_short_landing_page() {
    let lines = read(&root().join("README.md")).lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move the detail to docs/"
    );
}

#[test]
fn readme_links_every_docs_file() {
    let readme = root().join("README.md");
    let linked: HashSet<PathBuf> = links(&read(&readme))
        .into_iter()
        .filter(|link| !is_external(&link.target))
        .filter_map(|link| {
            let path = link
                .target
                .split('#')
                .next()
                .unwrap_or_default()
                .to_string();
            (!path.is_empty()).then(|| root().join(percent_decode(&path)))
        })
        .filter_map(|path| fs::canonicalize(path).ok())
        .collect();
    let unlinked: Vec<String> = doc_files()
        .into_iter()
        .skip(1)
        .filter(|doc| !linked.contains(&fs::canonicalize(doc).expect("docs file")))
        .map(|doc| shown(&doc))
        .collect();
    assert!(
        unlinked.is_empty(),
        "README.md links none of: {}",
        unlinked.join(", ")
    );
}

#[test]
fn slugs_follow_github() {
    assert_eq!(slug("1. Architecture"), "1-architecture");
    assert_eq!(
        slug("`POST /keys` — create a key"),
        "post-keys--create-a-key"
    );
    assert_eq!(
        slug("`GET /keys/{id}/events` — a key's audit trail"),
        "get-keysidevents--a-keys-audit-trail"
    );
    assert_eq!(slug("With SAM (Docker)"), "with-sam-docker");
    assert_eq!(slug("Größe: snake_case, ok"), "größe-snake_case-ok");
    assert_eq!(slug("A [link](x.md) here"), "a-link-here");
    let text =
        "# Same\n\n```\n# Not a heading\n```\n\n## Same\n\n~~~\n## Fenced\n~~~\n### Same ##\n";
    let found = anchors(text);
    let expected: HashSet<String> = ["same", "same-1", "same-2"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn links_in_code_are_not_links() {
    let text = "[a](a.md) `[b](b.md)`\n```\n[c](c.md)\n```\n[d\ntext](d.md#x \"title\")\n<a href=\"e.md\">e</a>\n[f]: f.md\n";
    let targets: Vec<(usize, String)> = links(text)
        .into_iter()
        .map(|link| (link.line, link.target))
        .collect();
    assert_eq!(
        targets,
        [
            (1, "a.md".to_string()),
            (6, "d.md#x".to_string()),
            (7, "e.md".to_string()),
            (8, "f.md".to_string()),
        ]
    );
}
