//! A year's figures, once published, are not published again from changed
//! records unasked: a black-box tester (2026-12-07) added one child to a
//! copy of the project and read her sex, age, municipality, legal basis,
//! form and days from four reports of 2025 run before and after.

use crate::common::{add_author, fresh_sample, ingest, ok, peitto, sample_data, whoami};
use std::path::Path;

/// Kotka's placements with a placement of a child placed only before 2024
/// made to last into 2025 (a corrected extract): the new version of
/// the file, in Windows-1252 as the register writes it.
fn corrected_placements() -> Vec<u8> {
    let bytes = std::fs::read(sample_data().join("285-kotka/sijoitukset.csv")).unwrap();
    // Windows-1252 to text, byte by byte (Latin-1 agrees on these files).
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let lines: Vec<&str> = text.split("\r\n").collect();
    let fields = |l: &str| l.split(';').map(str::to_owned).collect::<Vec<_>>();
    let year = |d: &str| d.rsplit('.').next().unwrap_or("").parse::<i32>().ok();
    // A child every placement of whom ended before 2024.
    let rows: Vec<Vec<String>> = lines[1..]
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| fields(l))
        .collect();
    let child = rows
        .iter()
        .map(|r| r[1].clone())
        .find(|hetu| {
            rows.iter()
                .filter(|r| r[1] == *hetu)
                .all(|r| year(&r[8]).is_some_and(|y| y < 2024))
        })
        .expect("a child placed only before 2024");
    let mut changed = false;
    let out: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut f = fields(l);
            if !changed && f.len() > 8 && f[1] == child {
                f[8] = "1.3.2025".to_owned();
                changed = true;
            }
            f.join(";")
        })
        .collect();
    out.join("\r\n")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

fn report(project: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--project",
        project.to_str().unwrap(),
        "report",
        "placed_children",
        "--year",
        "2025",
    ];
    args.extend_from_slice(extra);
    peitto(&args)
}

#[test]
fn a_years_figures_are_not_published_again_from_changed_records_unasked() {
    let (tmp, dir) = fresh_sample();
    let published = dir.join("out/placed_children-2025/placed_children.csv");
    ok(&report(&dir, &[]));
    let first = std::fs::read(&published).unwrap();
    // The same records: as often as anyone likes, the same figures.
    ok(&report(&dir, &[]));
    assert_eq!(std::fs::read(&published).unwrap(), first);
    // A corrected extract puts one more child into 2025.
    let extract = tmp.path().join("corrected/285-kotka");
    std::fs::create_dir_all(&extract).unwrap();
    std::fs::write(extract.join("sijoitukset.csv"), corrected_placements()).unwrap();
    ok(&ingest(&dir, &[&extract.join("sijoitukset.csv")]));
    let refused = report(&dir, &[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("have changed since"), "{stderr}");
    assert!(stderr.contains("--revision"), "{stderr}");
    assert_eq!(
        std::fs::read(&published).unwrap(),
        first,
        "the published figures stand"
    );
    // Only a report author publishes a revision.
    let not_author = report(&dir, &["--revision"]);
    let stderr = String::from_utf8_lossy(&not_author.stderr);
    assert_eq!(not_author.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Only report authors"), "{stderr}");
    add_author(&dir, &whoami());
    ok(&report(&dir, &["--revision"]));
    let revised = std::fs::read(&published).unwrap();
    assert_ne!(revised, first, "the revision has the new child");
    // The revision is now the published version: run again, it stands.
    ok(&report(&dir, &[]));
    assert_eq!(std::fs::read(&published).unwrap(), revised);
}
