//! Labels that come from stored values are published as text only: no
//! spreadsheet formula in a CSV file, no control character that breaks a
//! PX or CSV line or reverses what a reader sees (found by a black-box
//! tester through a provider column of an extract).

use peitto_i18n::Lang;
use peitto_publish::{Dialect, Meta, csv, px};
use peitto_table::{OutColumn, Table, Value};

fn table(labels: &[&str]) -> Table {
    Table {
        columns: vec![
            OutColumn {
                name: "provider".to_owned(),
                dimension: true,
            },
            OutColumn {
                name: "n".to_owned(),
                dimension: false,
            },
        ],
        rows: labels
            .iter()
            .map(|l| vec![Value::Text((*l).to_owned()), Value::Int(-3)])
            .collect(),
    }
}

fn meta() -> Meta {
    Meta {
        id: "t".to_owned(),
        symbol: "..".to_owned(),
        ..Meta::default()
    }
}

#[test]
fn a_label_that_looks_like_a_formula_is_text_in_csv() {
    let labels = [
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "+358401234567",
        "-2+3",
        "@SUM(A1:A9)",
        "2017106-9",
    ];
    for dialect in [Dialect::FinnishExcel, Dialect::Rfc4180] {
        let out = String::from_utf8(csv(&table(&labels), &meta(), Lang::Fi, dialect)).unwrap();
        let sep = if dialect == Dialect::FinnishExcel {
            ';'
        } else {
            ','
        };
        let firsts: Vec<&str> = out
            .lines()
            .skip(1)
            .take(labels.len())
            .map(|l| l.trim_start_matches('"'))
            .collect();
        for (first, label) in firsts.iter().zip(labels) {
            if label.starts_with(['=', '+', '-', '@']) {
                assert!(first.starts_with('\''), "{dialect:?}: {first}");
            } else {
                assert!(first.starts_with(label), "{dialect:?}: {first}");
            }
        }
        // Numbers stay numbers: a negative measure is not made text.
        assert!(out.contains(&format!("{sep}-3\r\n")), "{out}");
    }
}

#[test]
fn control_and_direction_characters_never_reach_a_file() {
    let labels = [
        "P\n;DATA=\n1 2 3;",
        "a\tb\r\nc",
        "\u{202e}gnp.exe",
        "x\u{2066}y",
    ];
    let t = table(&labels);
    let files = [
        String::from_utf8(csv(&t, &meta(), Lang::Fi, Dialect::FinnishExcel)).unwrap(),
        String::from_utf8(px(&t, &meta(), "20261207 10:00")).unwrap(),
    ];
    for file in &files {
        for bad in ['\t', '\u{202e}', '\u{2066}'] {
            assert!(!file.contains(bad), "{bad:?} in {file}");
        }
    }
    // Every line of the PX file is a keyword line or data: no label
    // starts a line of its own.
    let px_file = &files[1];
    assert!(
        !px_file
            .lines()
            .any(|l| l.starts_with(";DATA=") || l.starts_with("1 2 3")),
        "{px_file}"
    );
    // In CSV the rows are the table's rows, one line each.
    let csv_rows = files[0]
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .count();
    assert_eq!(csv_rows, labels.len(), "{}", files[0]);
}

/// The PNG chart is drawn through a file. Its name in the system's temporary
/// folder was predictable (process id and report), so another user could
/// put a link there to a file of the service's and have the chart written
/// over it (found by a black-box tester: the service's record of withheld
/// cells became a PNG image).
#[test]
fn a_chart_is_never_drawn_through_a_link_someone_else_planted() {
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("withheld-cells");
    std::fs::write(&victim, b"the service's record").unwrap();
    let planted = std::env::temp_dir().join(format!("peitto-chart-{}-t.png", std::process::id()));
    let _ = std::fs::remove_file(&planted);
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let mut t = table(&["A", "B", "C"]);
    for row in &mut t.rows {
        row[1] = Value::Int(12);
    }
    let files = peitto_publish::charts(&t, &meta(), Lang::Fi).unwrap();
    let _ = std::fs::remove_file(&planted);
    let png = files
        .iter()
        .find(|(name, _)| name == "t.png")
        .map(|(_, bytes)| bytes)
        .expect("a chart");
    assert!(png.starts_with(b"\x89PNG"), "the chart is drawn");
    assert_eq!(std::fs::read(&victim).unwrap(), b"the service's record");
}

#[test]
fn a_column_name_that_looks_like_a_formula_is_text_in_csv() {
    // A planner's alias (`SELECT sex AS "=1+1"`) became the header cell as
    // written while the labels under it were neutralised.
    let mut t = table(&["A"]);
    t.columns[0].name = "=1+1".to_owned();
    t.columns[1].name = "@n\u{202e}".to_owned();
    for dialect in [Dialect::FinnishExcel, Dialect::Rfc4180] {
        let out = String::from_utf8(csv(&t, &meta(), Lang::En, dialect)).unwrap();
        let header = out.trim_start_matches('\u{feff}').lines().next().unwrap();
        assert!(header.starts_with("'=1+1"), "{header}");
        assert!(
            header.contains("'@n ") && !header.contains('\u{202e}'),
            "{header}"
        );
    }
}
