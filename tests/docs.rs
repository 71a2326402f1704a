//! The documentation's lists and claims that the code or the manifests can check: the features
//! named in the README and on the crate-root rustdoc page are the manifest's, the sentence about
//! publishing agrees with the manifests and the changelog, and the links between the README,
//! `benches/README.md` and `mpi/README.md` resolve (files and headings).

use std::collections::BTreeSet;
use std::path::Path;

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The lines of a TOML table (`[name]` up to the next table), read as plain text.
fn toml_table<'a>(manifest: &'a str, name: &str) -> Vec<&'a str> {
    let header = format!("[{name}]");
    manifest
        .lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

/// `key = "value"` in a TOML table, read as plain text.
fn toml_string(manifest: &str, table: &str, key: &str) -> Option<String> {
    toml_table(manifest, table).iter().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The text of a Markdown section, from its heading to the next heading of its level or above
/// (lines in code blocks are not headings).
fn section(text: &str, heading: &str) -> String {
    let level = heading.split(' ').next().unwrap().len();
    let mut in_code = false;
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        let is_heading = !in_code && hashes > 0 && line[hashes..].starts_with(' ');
        if inside && is_heading && hashes <= level {
            break;
        }
        if inside {
            out.push(line);
        }
        inside |= !in_code && line == heading;
    }
    assert!(inside, "no {heading:?}");
    out.join("\n")
}

/// The feature names a section lists as bullets starting with the name in backticks.
fn listed_features(section: &str) -> BTreeSet<String> {
    section
        .lines()
        .filter_map(|l| l.trim_start_matches("//!").trim_start().strip_prefix("- `"))
        .map(|l| l[..l.find('`').unwrap()].to_string())
        .collect()
}

/// The crate-root rustdoc text of `src/lib.rs` (its `//!` lines), without the markers.
fn crate_doc() -> String {
    read("src/lib.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn readme_and_crate_docs_name_exactly_the_manifests_features() {
    let manifest = read("Cargo.toml");
    let features: BTreeSet<String> = toml_table(&manifest, "features")
        .iter()
        .map(|l| l.split('=').next().unwrap().trim().to_string())
        .filter(|name| name != "default")
        .collect();
    assert!(features.contains("rayon") && features.contains("zarr"), "{features:?}");
    assert_eq!(
        toml_string(&manifest, "features", "default").as_deref(),
        Some("[]"),
        "the docs say every feature is off by default"
    );

    let readme = read("README.md");
    let readme_features = section(&readme, "## Features");
    assert_eq!(listed_features(&readme_features), features, "README's Features");
    let doc_features = section(&crate_doc(), "# Features");
    assert_eq!(listed_features(&doc_features), features, "src/lib.rs's Features");

    // What the docs say of `zarr`: it turns on `rayon`, needs a newer Rust than the crate (the
    // number the manifest's comment gives), and a C++ compiler.
    let zarr = toml_table(&manifest, "features")
        .into_iter()
        .find(|l| l.starts_with("zarr "))
        .unwrap();
    assert!(zarr.contains("\"rayon\""), "{zarr}");
    let msrv = toml_string(&manifest, "package", "rust-version").unwrap();
    let zarr_msrv = manifest[manifest.find("Needs Rust ").unwrap() + "Needs Rust ".len()..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .unwrap()
        .trim_end_matches('.')
        .to_string();
    let parse = |v: &str| v.split('.').map(|n| n.parse::<u32>().unwrap()).collect::<Vec<_>>();
    assert!(parse(&zarr_msrv) > parse(&msrv), "{zarr_msrv} {msrv}");
    for (name, text) in [("README", &readme_features), ("src/lib.rs", &doc_features)] {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("turns on `rayon`"), "{name}: {text}");
        assert!(text.contains(&format!("Rust {zarr_msrv}")), "{name}: {text}");
        assert!(text.contains(&msrv), "{name}: {text}");
        assert!(text.contains("C++"), "{name}: {text}");
    }
    let msrv_section = section(&readme, "## Minimum supported Rust version");
    assert!(
        msrv_section.contains(&msrv) && msrv_section.contains(&zarr_msrv),
        "{msrv_section}"
    );
}

#[test]
fn readme_sentence_about_publishing_matches_the_manifests() {
    let manifest = read("Cargo.toml");
    let version = toml_string(&manifest, "package", "version").unwrap();
    let readme = read("README.md");
    let add_it = section(&readme, "## Add it");
    let sentence = add_it.split_whitespace().collect::<Vec<_>>().join(" ");
    // "not on crates.io yet": the crate is meant to be published (no `publish = false`), and
    // this version has not been released (the changelog has no section for it).
    assert!(
        sentence.contains(&format!("ndarray-gradient {version} is not on crates.io yet")),
        "{sentence}"
    );
    assert_eq!(
        toml_string(&manifest, "package", "publish"),
        None,
        "the README says it will be"
    );
    let changelog = read("CHANGELOG.md");
    assert!(!changelog.contains(&format!("## [{version}]")), "{version} is released");
    // The companion crate is never published, as both READMEs say.
    let mpi = read("mpi/Cargo.toml");
    assert_eq!(toml_string(&mpi, "package", "publish").as_deref(), Some("false"));
    assert!(sentence.contains("`mpi/` is `publish = false`"), "{sentence}");
    assert!(read("mpi/README.md").contains("not published (`publish = false`"));
    assert_eq!(toml_string(&mpi, "package", "readme").as_deref(), Some("README.md"));
    // The dependency lines to copy name the ndarray the crate is built on.
    let ndarray = toml_string(&manifest, "dependencies", "ndarray").unwrap();
    assert!(add_it.contains(&format!("ndarray = \"{ndarray}\"")), "{add_it}");
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(anchor(line));
        }
    }
    out
}

#[test]
fn links_between_the_readmes_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for file in [
        "README.md",
        "benches/README.md",
        "benches/RESULTS.md",
        "benches/RESULTS-stencils.md",
        "mpi/README.md",
    ] {
        let text = read(file);
        let dir = Path::new(file).parent().unwrap();
        for link in text.split("](").skip(1).filter_map(|s| s.split(')').next()) {
            if link.starts_with("http") {
                continue;
            }
            let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
            let target = if path.is_empty() {
                Path::new(file).to_path_buf()
            } else {
                dir.join(path)
            };
            assert!(
                root.join(&target).exists(),
                "{file} links to {link}, which does not exist"
            );
            if !fragment.is_empty() {
                let target_text = std::fs::read_to_string(root.join(&target)).unwrap();
                assert!(
                    anchors(&target_text).contains(fragment),
                    "{file} links to {link}: no such heading in {}",
                    target.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} links");
    // The crate-root docs point to the benchmark runs by path.
    assert!(crate_doc().contains("`benches/README.md`"));
    assert!(root.join("benches/README.md").exists());
}
