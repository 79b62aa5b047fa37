//! Extracts written to carry a person into the published tables: a column
//! meant for an organisation's code holding a private carer's
//! henkilötunnus or name (found by a black-box tester: both were published
//! as provider rows of `care_costs` in every format).

use crate::common::{last_report, ok, peitto, project, sample_data, walk};
use std::path::Path;

/// Copies the sample extracts to `to`, Kotka's placements and invoice
/// lines with `provider` as the provider of every seventh row.
fn with_provider(to: &Path, provider: &str) {
    let from = sample_data();
    for entry in walk(&from) {
        let rel = entry.strip_prefix(&from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let bytes = std::fs::read(&entry).unwrap();
        let name = rel.to_string_lossy();
        let column = if name.ends_with("285-kotka/sijoitukset.csv") {
            Some(9)
        } else if name.ends_with("285-kotka/hoitovuorokausilaskut.csv") {
            Some(4)
        } else {
            None
        };
        let Some(column) = column else {
            std::fs::write(&dest, bytes).unwrap();
            continue;
        };
        // Windows-1252: the ASCII fields are changed byte for byte.
        let mut out = Vec::new();
        for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let mut fields: Vec<Vec<u8>> = line.split(|&b| b == b';').map(<[u8]>::to_vec).collect();
            if n > 0 && n % 7 == 0 && fields.len() > column {
                fields[column] = provider.as_bytes().to_vec();
            }
            if n > 0 {
                out.push(b'\n');
            }
            out.extend(fields.join(&b';'));
        }
        std::fs::write(&dest, out).unwrap();
    }
}

/// Every published file under `dir`, as text (lossy for binary ones; XLSX
/// is unzipped by its reader below).
fn published_text(dir: &Path) -> String {
    let mut all = String::new();
    for file in walk(dir) {
        if file.extension().is_some_and(|e| e == "xlsx") {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
            for name in book.sheet_names() {
                if let Ok(range) = book.worksheet_range(&name) {
                    for row in range.rows() {
                        for cell in row {
                            all.push_str(&cell.to_string());
                            all.push('\n');
                        }
                    }
                }
            }
        } else {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(&file).unwrap()));
        }
    }
    all
}

#[test]
fn a_person_in_the_provider_column_is_rejected_and_never_published() {
    for provider in ["050570-912R", "Maija Meikalainen", "=HYPERLINK(\"x\")"] {
        let (_tmp, dir) = project();
        let data = dir.parent().unwrap().join("extracts");
        with_provider(&data, provider);
        let out = peitto(&[
            "--project",
            dir.to_str().unwrap(),
            "ingest",
            data.to_str().unwrap(),
        ]);
        ok(&out);
        // Rejected for that column and kept in quarantine for fixing.
        let report = last_report(&dir);
        let rejected: u64 = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["rejected_by_reason"]["invalid_business_id"].as_u64())
            .sum();
        assert!(rejected >= 40, "{provider}: {rejected} rejected");
        // (CSV quoting doubles the quotes of a formula.)
        let marker = provider.split('"').next().unwrap();
        let kept = walk(&dir.join("quarantine"))
            .iter()
            .any(|q| String::from_utf8_lossy(&std::fs::read(q).unwrap()).contains(marker));
        assert!(kept, "{provider}: the rejected rows are kept");
        ok(&peitto(&[
            "--project",
            dir.to_str().unwrap(),
            "report",
            "care_costs",
            "--year",
            "2025",
        ]));
        let text = published_text(&dir.join("out"));
        assert!(
            text.contains("2028554-1"),
            "the other providers are published"
        );
        assert!(!text.contains(marker), "{provider} published");
    }
}

/// An extract exported without its header row: the first row is a person's
/// data, and neither the ingest's error nor a drafted mapping may repeat it
/// (found by a black-box tester: "Headers seen:" listed the henkilötunnus,
/// name, address and dates, and `mapping draft` wrote them into its file).
#[test]
fn a_headerless_extract_is_refused_without_repeating_its_first_row() {
    let (tmp, dir) = project();
    let text = std::fs::read(sample_data().join("285-kotka/sijoitukset.csv")).unwrap();
    let body = &text[text.iter().position(|&b| b == b'\n').unwrap() + 1..];
    let first = String::from_utf8_lossy(body.split(|&b| b == b'\n').next().unwrap()).into_owned();
    let fields: Vec<&str> = first.split(';').collect();
    let (hetu, address, start, provider) = (fields[1], fields[3], fields[7], fields[9]);
    let with_hetu = tmp.path().join("sijoitukset.csv");
    std::fs::write(&with_hetu, body).unwrap();
    // The same row with a mistyped check character: not an identity code,
    // so the file reaches the mapping match, whose message lists headers.
    let mistyped = tmp.path().join("sijoitukset_b.csv");
    let broken = hetu.replace(&hetu[10..], if &hetu[10..] == "A" { "B" } else { "A" });
    let mut other = body.to_vec();
    let at = other
        .windows(hetu.len())
        .position(|w| w == hetu.as_bytes())
        .unwrap();
    other.splice(at..at + hetu.len(), broken.bytes());
    std::fs::write(&mistyped, other).unwrap();

    for (file, header_is_data) in [(&with_hetu, true), (&mistyped, false)] {
        // The draft is refused for both: a first row of dates and numbers is
        // not a header row, and a drafted mapping would keep it.
        let ingest = peitto(&[
            "--project",
            dir.to_str().unwrap(),
            "ingest",
            file.to_str().unwrap(),
        ]);
        let draft = peitto(&[
            "mapping",
            "draft",
            file.to_str().unwrap(),
            "--table",
            "cw_placement",
        ]);
        for out in [&ingest, &draft] {
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for value in [hetu, &broken, address, start, provider] {
                assert!(!said.contains(value), "{value} repeated: {said}");
            }
            assert!(!out.status.success(), "{said}");
            if header_is_data {
                assert!(said.contains("sijoitukset.csv"), "names the file: {said}");
            }
        }
    }
}
