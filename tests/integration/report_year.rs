//! `peitto report` without `--year`: the last complete calendar year, said
//! so on stderr, with progress as plain lines when stderr is not a terminal.

use crate::common::{ok, on_sample, sample_project};

#[test]
fn a_report_without_a_year_is_for_the_last_complete_calendar_year() {
    let out = on_sample(&["report", "placed_children"]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The year as the system clock has it now (UTC), less one.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let year = (1970u64..)
        .scan(0u64, |start, y| {
            let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
            let len = if leap { 366 } else { 365 } * 86_400;
            let from = *start;
            *start += len;
            Some((y, from, from + len))
        })
        .find(|(_, from, to)| (*from..*to).contains(&secs))
        .unwrap()
        .0
        - 1;
    assert!(
        stderr.contains(&format!("Year {year}")),
        "no year said: {stderr}"
    );
    assert!(stderr.contains("Reports 1/1 placed_children"), "{stderr}");
    assert!(
        sample_project()
            .join(format!("out/placed_children-{year}"))
            .is_dir()
    );
}
