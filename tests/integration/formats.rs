//! The three file formats and the ways Finnish Excel writes CSV.

use crate::common::*;
use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Date32Type, Decimal128Type, Int64Type};

/// The same two invoice lines, as different tools write them.
fn invoice_variants() -> Vec<(&'static str, Vec<u8>)> {
    let fi_header = "Rivitunnus;Sijoitustunnus;Henkilötunnus;Asiakkaan nimi;Y-tunnus;Jakso alkaa;Jakso päättyy;Hoitovuorokaudet;Laskutussääntö;Vuorokausihinta;Summa;Kunta";
    let fi_rows = "L1;S1;010516B903X;Aada Mäkelä;1234567-1;1.2.2024;29.2.2024;29;Tulopäivä, ei lähtöpäivää;95,50;2 769,50;285\r\nL2;S1;010516B903X;Aada Mäkelä;1234567-1;01.03.2024;31.03.2024;31;Tulopäivä, ei lähtöpäivää;95,5;2960,5;285\r\n";
    let cp1252: Vec<u8> = format!("{fi_header}\r\n{fi_rows}")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
    utf8_bom.extend(format!("{fi_header}\n{fi_rows}").as_bytes());
    let sv = "Rad-ID,Placerings-ID,Personbeteckning,Klientens namn,FO-nummer,Period från,Period till,Vårddygn,Regel,Dygnspris,Belopp,Kommun\n\
L1,S1,010516B903X,Aada Mäkelä,1234567-1,2024-02-01,2024-02-29,29,\"Ankomstdag, ej avresedag\",95.50,2769.50,285\n\
L2,S1,010516B903X,Aada Mäkelä,1234567-1,2024-03-01,2024-03-31,31,\"Ankomstdag, ej avresedag\",95.5,2960.50,285\n";
    vec![
        ("cp1252-semicolon.csv", cp1252),
        ("utf8-bom-semicolon.csv", utf8_bom),
        ("utf8-comma-iso.csv", sv.as_bytes().to_vec()),
    ]
}

fn invoice_summary(batches: &[RecordBatch]) -> Vec<(i32, i32, i64, i128, String)> {
    let mut out = Vec::new();
    for b in batches {
        let start = b
            .column_by_name("period_start")
            .unwrap()
            .as_primitive::<Date32Type>();
        let end = b
            .column_by_name("period_end")
            .unwrap()
            .as_primitive::<Date32Type>();
        let days = b
            .column_by_name("billed_days")
            .unwrap()
            .as_primitive::<Int64Type>();
        let amount = b
            .column_by_name("amount_eur")
            .unwrap()
            .as_primitive::<Decimal128Type>();
        let rule = b.column_by_name("day_rule").unwrap().as_string::<i32>();
        for i in 0..b.num_rows() {
            out.push((
                start.value(i),
                end.value(i),
                days.value(i),
                amount.value(i),
                rule.value(i).to_owned(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn finnish_excel_csv_variants_store_the_same_values() {
    let expected = vec![
        (
            peitto_model::Date::from_ymd(2024, 2, 1).unwrap().0,
            peitto_model::Date::from_ymd(2024, 2, 29).unwrap().0,
            29,
            276_950,
            "ARRIVAL_NOT_DEPARTURE".to_owned(),
        ),
        (
            peitto_model::Date::from_ymd(2024, 3, 1).unwrap().0,
            peitto_model::Date::from_ymd(2024, 3, 31).unwrap().0,
            31,
            296_050,
            "ARRIVAL_NOT_DEPARTURE".to_owned(),
        ),
    ];
    for (name, bytes) in invoice_variants() {
        let (_tmp, project) = project();
        let file = project.join(name);
        std::fs::write(&file, bytes).unwrap();
        ok(&ingest(&project, &[&file]));
        let report = last_report(&project);
        assert_eq!(report["files"][0]["rows_rejected"], 0, "{name}: {report}");
        assert_eq!(
            invoice_summary(&table(&project, "care_invoice_line")),
            expected,
            "{name}"
        );
        let source = &report["files"][0]["source"];
        match name {
            "cp1252-semicolon.csv" => {
                assert_eq!(source["encoding"], "windows-1252");
                assert_eq!(source["delimiter"], ";");
            }
            "utf8-bom-semicolon.csv" => assert_eq!(source["encoding"], "utf-8-bom"),
            _ => {
                assert_eq!(source["encoding"], "utf-8");
                assert_eq!(source["delimiter"], ",");
            }
        }
        assert_eq!(
            report["files"][0]["dropped_columns"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "{name}: the name column is dropped"
        );
    }
}

#[test]
fn workbooks_are_read_from_the_first_or_a_named_sheet() {
    let (_tmp, project) = project();
    let path = project.join("placeringar.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let notes = wb.add_worksheet();
    notes.set_name("Anteckningar").unwrap();
    notes.write_string(0, 0, "Datum").unwrap();
    notes.write_string(0, 1, "Sak").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("Placeringar").unwrap();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in [
        "Placerings-ID",
        "Personbeteckning",
        "Placeringsform",
        "Startdatum",
        "Slutdatum",
        "Placerande kommun",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
    }
    ws.write_string(1, 0, "A1").unwrap();
    ws.write_string(1, 1, "020504A902E").unwrap();
    ws.write_string(1, 2, "Familjevård").unwrap();
    ws.write_datetime_with_format(
        1,
        3,
        rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 5, 6).unwrap(),
        &date_format,
    )
    .unwrap();
    // Municipality typed as a number, as Excel users do.
    ws.write_number(1, 5, 598.0).unwrap();
    ws.write_string(2, 0, "A2").unwrap();
    ws.write_string(2, 1, "020504B904H").unwrap();
    ws.write_string(2, 2, "Anstaltsvård").unwrap();
    ws.write_string(2, 3, "7.5.2024").unwrap();
    ws.write_string(2, 4, "1.5.2024").unwrap();
    ws.write_number(2, 5, 598.0).unwrap();
    wb.save(&path).unwrap();

    let out = ingest(&project, &[&path]);
    assert!(!out.status.success(), "the first sheet holds no register");
    let out = peitto(&[
        "--project",
        project.to_str().unwrap(),
        "ingest",
        "--sheet",
        "Placeringar",
        path.to_str().unwrap(),
    ]);
    ok(&out);
    let report = last_report(&project);
    assert_eq!(report["files"][0]["source"]["sheet"], "Placeringar");
    assert_eq!(report["files"][0]["rows_accepted"], 1);
    assert_eq!(
        report["files"][0]["rejections"][0]["reason"],
        "period_end_before_start"
    );
    assert_eq!(report["files"][0]["rejections"][0]["row"], 3);
    let placements = table(&project, "cw_placement");
    assert_eq!(
        strings(&placements, "form"),
        vec![Some("PERHEHOITO".to_owned())]
    );
    assert_eq!(
        strings(&placements, "municipality_code"),
        vec![Some("598".to_owned())]
    );
    let start = placements[0]
        .column_by_name("start")
        .unwrap()
        .as_primitive::<Date32Type>()
        .value(0);
    assert_eq!(start, peitto_model::Date::from_ymd(2024, 5, 6).unwrap().0);
}

/// `batch` as a Parquet file at `path`, compressed as asked (else as the
/// writer does by default).
fn write_parquet(
    path: &std::path::Path,
    batch: &arrow::record_batch::RecordBatch,
    compression: Option<parquet::basic::Compression>,
) {
    let props = compression.map(|c| {
        parquet::file::properties::WriterProperties::builder()
            .set_compression(c)
            .build()
    });
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        props,
    )
    .unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn parquet_extracts_are_read_with_their_types() {
    use arrow::array::{Date32Array, Decimal128Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let (_tmp, project) = project();
    let path = project.join("ersattningar.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("Ersättnings-ID", DataType::Utf8, false),
        Field::new("Personbeteckning", DataType::Utf8, true),
        Field::new("Ersättningsslag", DataType::Utf8, false),
        Field::new("Period från", DataType::Date32, false),
        Field::new("Period till", DataType::Date32, false),
        Field::new("Utbetalt", DataType::Decimal128(12, 2), true),
        Field::new("Kommun", DataType::Utf8, false),
    ]));
    let d = |y, m, day| peitto_model::Date::from_ymd(y, m, day).unwrap().0;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["E1", "E2", "E3"])),
            Arc::new(StringArray::from(vec![
                Some("030594W903B"),
                None,
                Some("030594W903C"),
            ])),
            Arc::new(StringArray::from(vec![
                "Kalkylerad ersättning",
                "Tolkning",
                "Tolkning",
            ])),
            Arc::new(Date32Array::from(vec![
                d(2025, 1, 1),
                d(2025, 2, 1),
                d(2025, 2, 1),
            ])),
            Arc::new(Date32Array::from(vec![
                d(2025, 12, 31),
                d(2025, 2, 28),
                d(2025, 2, 28),
            ])),
            Arc::new(
                Decimal128Array::from(vec![Some(195_500), Some(12_050), None])
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
            Arc::new(StringArray::from(vec!["598", "598", "598"])),
        ],
    )
    .unwrap();
    write_parquet(&path, &batch, None);
    ok(&ingest(&project, &[&path]));
    let report = last_report(&project);
    assert_eq!(report["files"][0]["source"]["format"], "parquet");
    assert_eq!(report["files"][0]["rows_accepted"], 2);
    assert_eq!(
        report["files"][0]["rejections"][0]["reason"],
        "hetu_checksum"
    );
    assert_eq!(report["files"][0]["rejections"][0]["row"], 3);
    let stored = table(&project, "state_compensation");
    let paid: Vec<i128> = stored
        .iter()
        .flat_map(|b| {
            b.column_by_name("paid_eur")
                .unwrap()
                .as_primitive::<Decimal128Type>()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(paid, vec![195_500, 12_050]);
    let persons = strings(&stored, "person_key");
    assert!(
        persons[0].is_some() && persons[1].is_none(),
        "a claim without a person keeps an empty key"
    );
    let end = stored[0]
        .column_by_name("period_end")
        .unwrap()
        .as_primitive::<Date32Type>()
        .value(0);
    assert_eq!(end, d(2025, 12, 31));
}

#[test]
fn parquet_instants_are_read_as_finnish_days() {
    // A system that writes its dates as UTC instants puts Finnish midnight
    // at 22:00 (winter) or 21:00 (summer) the day before; read as the UTC
    // date, every period would start a day early. Without a zone a
    // timestamp is taken as written.
    use arrow::array::{StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;
    let (_tmp, project) = project();
    let path = project.join("ersattningar.parquet");
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let naive = DataType::Timestamp(TimeUnit::Microsecond, None);
    let schema = Arc::new(Schema::new(vec![
        Field::new("Ersättnings-ID", DataType::Utf8, false),
        Field::new("Personbeteckning", DataType::Utf8, true),
        Field::new("Ersättningsslag", DataType::Utf8, false),
        Field::new("Period från", utc.clone(), false),
        Field::new("Period till", naive.clone(), false),
        Field::new("Utbetalt", DataType::Utf8, true),
        Field::new("Kommun", DataType::Utf8, false),
    ]));
    // Microseconds since 1970 of a UTC date and time.
    let at = |y, m, d, hour: i64| {
        i64::from(peitto_model::Date::from_ymd(y, m, d).unwrap().0) * 86_400_000_000
            + hour * 3_600_000_000
    };
    let batch = arrow::record_batch::RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["E1", "E2", "E3"])),
            Arc::new(StringArray::from(vec![
                "030594W903B",
                "030594W903B",
                "030594W903B",
            ])),
            Arc::new(StringArray::from(vec!["Tolkning"; 3])),
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    at(2025, 2, 28, 22), // 1.3.2025 00:00 in Helsinki (UTC+2)
                    at(2025, 6, 30, 21), // 1.7.2025 00:00 (summer time, UTC+3)
                    at(2025, 9, 1, 0),   // UTC midnight: 03:00 the same day
                ])
                .with_timezone("UTC"),
            ),
            Arc::new(TimestampMicrosecondArray::from(vec![
                at(2025, 3, 31, 0),
                at(2025, 7, 31, 0),
                at(2025, 9, 30, 0),
            ])),
            Arc::new(StringArray::from(vec!["120,50"; 3])),
            Arc::new(StringArray::from(vec!["598"; 3])),
        ],
    )
    .unwrap();
    write_parquet(&path, &batch, None);
    ok(&ingest(&project, &[&path]));
    let stored = table(&project, "state_compensation");
    let days = |column: &str| -> Vec<i32> {
        stored
            .iter()
            .flat_map(|b| {
                b.column_by_name(column)
                    .unwrap()
                    .as_primitive::<Date32Type>()
                    .values()
                    .to_vec()
            })
            .collect()
    };
    let d = |y, m, day| peitto_model::Date::from_ymd(y, m, day).unwrap().0;
    let mut starts = days("period_start");
    starts.sort_unstable();
    assert_eq!(starts, vec![d(2025, 3, 1), d(2025, 7, 1), d(2025, 9, 1)]);
    let mut ends = days("period_end");
    ends.sort_unstable();
    assert_eq!(ends, vec![d(2025, 3, 31), d(2025, 7, 31), d(2025, 9, 30)]);
}

#[test]
fn a_parquet_column_of_huge_values_is_refused_before_it_is_decoded() {
    // Twelve values of 150 MB compress to a few kilobytes and took 3.9 GB
    // to read (an attacker's finding). Values averaging over 64 KiB are no
    // register field's: the file is refused from its metadata.
    use arrow::array::StringArray;
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let (_tmp, project) = project();
    let path = project.join("ersattningar.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("Ersättnings-ID", DataType::Utf8, false),
        Field::new("Personbeteckning", DataType::Utf8, true),
        Field::new("Ersättningsslag", DataType::Utf8, false),
        Field::new("Period från", DataType::Utf8, false),
        Field::new("Period till", DataType::Utf8, false),
        Field::new("Utbetalt", DataType::Utf8, true),
        Field::new("Kommun", DataType::Utf8, false),
        Field::new("Anteckningar", DataType::Utf8, false),
    ]));
    let big = "B".repeat(1 << 20);
    let n = 4;
    let batch = arrow::record_batch::RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(
                (0..n).map(|i| format!("E{i}")).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(vec!["030594W903B"; n])),
            Arc::new(StringArray::from(vec!["Tolkning"; n])),
            Arc::new(StringArray::from(vec!["2025-01-01"; n])),
            Arc::new(StringArray::from(vec!["2025-01-31"; n])),
            Arc::new(StringArray::from(vec!["12,50"; n])),
            Arc::new(StringArray::from(vec!["598"; n])),
            Arc::new(StringArray::from(vec![big.as_str(); n])),
        ],
    )
    .unwrap();
    write_parquet(&path, &batch, Some(parquet::basic::Compression::SNAPPY));
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    let out = ingest(&project, &[&path]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Anteckningar") && stderr.contains("64 KiB") && !stderr.contains("BBBB"),
        "{stderr}"
    );
    // Nothing of it was stored or quarantined.
    let kept: u64 = crate::common::walk(&project)
        .iter()
        .filter(|p| {
            p.starts_with(project.join("store")) || p.starts_with(project.join("quarantine"))
        })
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    assert!(kept < 1 << 20, "{kept} bytes kept");
}

#[test]
fn pxweb_population_download_is_read_as_it_comes() {
    use arrow::datatypes::DataType;
    let (_tmp, project) = project();
    // The organisation register, in an earlier ingest, names the municipalities.
    ok(&ingest(
        &project,
        &[&sample_data().join("reference/organisaatiot.csv")],
    ));
    // PxWeb's Swedish "semicolon delimited with heading" download of 11re:
    // title, blank line, areas and ages as rows, year and sex as columns.
    let path = project.join("befolkning_11re.csv");
    write_cp1252(
        &path,
        "\"11re -- Befolkning efter ålder (1-år) och kön efter område, 1972-2024\"\r\n\
         \r\n\
         \"Område\";\"Ålder\";\"2024 Totalt Befolkning 31.12.\";\"2024 Män Befolkning 31.12.\";\"2024 Kvinnor Befolkning 31.12.\"\r\n\
         \"HELA LANDET\";\"0\";1000;510;490\r\n\
         \"Jakobstad\";\"0\";100;51;49\r\n\
         \"Jakobstad\";\"100 -\";2;-;2\r\n\
         \"Jakobstad\";\"Totalt\";19000;9400;9600\r\n\
         \"Vasa\";\"0\";300;150;150\r\n\
         \"Källa: Statistikcentralen, befolkningsstruktur\"\r\n",
    );
    let stdout = ok(&ingest(&project, &[&path]));
    let report = last_report(&project);
    let file = &report["files"][0];
    assert_eq!(file["table"], "population", "{report}");
    assert_eq!(file["source"]["layout"], "pxweb-11re");
    assert_eq!(
        file["source"]["title"],
        "11re -- Befolkning efter ålder (1-år) och kön efter område, 1972-2024"
    );
    // Men and women of Jakobstad at 0 and 100+ are stored; Vasa is not in
    // the register, so its two cells are rejected on its line.
    assert_eq!(file["rows_read"], 6);
    assert_eq!(file["rows_accepted"], 4, "{report}");
    let rejections: Vec<(u64, &str)> = file["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rejections,
        vec![(8, "invalid_municipality"), (8, "invalid_municipality")]
    );
    // Totals: the whole country (3 cells), all ages (3) and both sexes (3).
    assert_eq!(file["cells_skipped_as_totals"], 9);
    assert_eq!(file["note_lines_skipped"], 1);
    assert!(stdout.contains("9 cells of totals not stored"), "{stdout}");
    let stored = table(&project, "population");
    assert_eq!(
        strings(&stored, "area_code"),
        vec![Some("KU598".to_owned()); 4]
    );
    let persons: i64 = stored
        .iter()
        .map(|b| {
            let c = arrow::compute::cast(b.column_by_name("persons").unwrap(), &DataType::Int64)
                .unwrap();
            c.as_primitive::<Int64Type>().iter().flatten().sum::<i64>()
        })
        .sum();
    assert_eq!(persons, 51 + 49 + 2);
}

#[test]
fn sample_population_download_is_stored_by_municipality_code() {
    // The sample's 11re file is PxWeb's Finnish download: areas by name.
    let stored = table(sample_project(), "population");
    let areas: std::collections::BTreeSet<String> = strings(&stored, "area_code")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(
        areas.into_iter().collect::<Vec<_>>(),
        ["KU171", "KU240", "KU285", "KU598", "KU895"]
    );
}
