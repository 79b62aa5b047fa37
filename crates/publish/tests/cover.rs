//! The package cover page speaks to its recipient: each table's definition
//! and unit come from the catalogue in the page's languages, not from the
//! report header (which is English and written for report authors).

use peitto_i18n::Lang;
use peitto_publish::{Cover, Meta, cover};

fn meta(id: &str) -> Meta {
    Meta {
        id: id.to_owned(),
        description: "Header text for authors, see notes.md".to_owned(),
        unit: "persons".to_owned(),
        policy: "thl".to_owned(),
        symbol: "..".to_owned(),
        ..Meta::default()
    }
}

#[test]
fn definitions_come_from_the_catalogue_in_each_language() {
    let tables = vec![(meta("children_in_care"), Vec::new())];
    let html = cover(&Cover {
        package: "thl-lastensuojelu",
        recipient_key: "package.thl",
        year: 2025,
        languages: &[Lang::Fi, Lang::Sv],
        tables: &tables,
        audit_hash: "0",
        created: "2026-01-01",
    });
    for lang in [Lang::Fi, Lang::Sv] {
        let definition = peitto_i18n::text(lang, "statdef.children_in_care");
        assert!(html.contains(definition), "{lang:?} definition missing");
        let unit = peitto_i18n::text(lang, "statdef.children_in_care_unit");
        assert!(html.contains(unit), "{lang:?} unit missing");
    }
    assert!(
        !html.contains("notes.md"),
        "the header's text leaked: {html}"
    );
    assert!(!html.contains(" persons</p>"), "the English unit leaked");
}

#[test]
fn a_report_without_catalogue_text_keeps_its_header() {
    let tables = vec![(meta("no_such_report"), Vec::new())];
    let html = cover(&Cover {
        package: "p",
        recipient_key: "package.thl",
        year: 2025,
        languages: &[Lang::Fi],
        tables: &tables,
        audit_hash: "0",
        created: "2026-01-01",
    });
    assert!(html.contains("Header text for authors"));
}
