//! The cover page of a statutory package, and the files it lists.

use crate::{Meta, legend};
use peitto_i18n::{Lang, text};
use std::fmt::Write as _;

/// The files [`all_formats`] writes for a table, as a package lays them
/// out: one folder per language, the PX once.
#[must_use]
pub fn file_names(id: &str, languages: &[Lang]) -> Vec<String> {
    let mut out = Vec::new();
    for l in languages {
        let sub = if languages.len() > 1 {
            format!("{}/", l.code())
        } else {
            String::new()
        };
        for ext in ["csv", "rfc4180.csv", "xlsx", "json"] {
            out.push(format!("{sub}{id}.{ext}"));
        }
    }
    out.push(format!("{id}.px"));
    out
}

/// What a package's cover page lists.
#[derive(Debug)]
pub struct Cover<'a> {
    /// Package name.
    pub package: &'a str,
    /// Catalogue key of the recipient.
    pub recipient_key: &'a str,
    /// Statistical year.
    pub year: i32,
    /// Languages of the tables.
    pub languages: &'a [Lang],
    /// Each table's metadata and files.
    pub tables: &'a [(Meta, Vec<String>)],
    /// Hash of the release's audit-log entry.
    pub audit_hash: &'a str,
    /// When it was made.
    pub created: &'a str,
}

/// A report's definition for its recipients in `lang`: the catalogue's
/// text (`statdef.ID`, written for the recipient and citing the law or
/// THL's definition) where there is one, else the report header's.
pub(crate) fn definition(meta: &Meta, lang: Lang) -> String {
    let key = format!("statdef.{}", meta.id);
    if peitto_i18n::has(&key) {
        text(lang, &key).to_owned()
    } else {
        meta.description.clone()
    }
}

/// A report's unit in `lang` (`statdef.ID_unit`), else the header's with
/// each of its units (`persons; euros`) in `lang` (`unit.persons`).
pub(crate) fn unit_text(meta: &Meta, lang: Lang) -> String {
    let key = format!("statdef.{}_unit", meta.id);
    if peitto_i18n::has(&key) {
        return text(lang, &key).to_owned();
    }
    meta.unit
        .split(';')
        .map(|unit| {
            let unit = unit.trim();
            let key = format!("unit.{}", unit.replace(' ', "_"));
            if peitto_i18n::has(&key) {
                text(lang, &key).to_owned()
            } else {
                unit.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The cover page (HTML): in each language of the package, the tables with
/// their definitions and files, the policy, the legend and the audit-log
/// entry's hash.
#[must_use]
pub fn cover(c: &Cover<'_>) -> String {
    let mut h =
        String::from("<!DOCTYPE html>\n<html lang=\"fi\">\n<head>\n<meta charset=\"utf-8\">\n");
    let first = c.languages.first().copied().unwrap_or(Lang::Fi);
    let heading = |lang: Lang| {
        esc(&peitto_i18n::format(
            lang,
            "cover.package",
            &[("package", &c.package), ("year", &c.year)],
        ))
    };
    let _ = writeln!(h, "<title>{}</title>", heading(first));
    h.push_str("<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .5rem;text-align:left}code{word-break:break-all}</style>\n</head>\n<body>\n");
    for &lang in c.languages {
        let t = |k: &str| esc(text(lang, k));
        let _ = writeln!(h, "<section lang=\"{}\">", lang.code());
        let _ = writeln!(h, "<h1>{}</h1>", heading(lang));
        let _ = writeln!(
            h,
            "<p><b>{}:</b> {}</p>",
            t("cover.recipient"),
            t(c.recipient_key)
        );
        let _ = writeln!(h, "<h2>{}</h2>", t("cover.tables"));
        for (meta, files) in c.tables {
            let _ = writeln!(
                h,
                "<h3 id=\"{}-{}\">{}</h3>",
                esc(&meta.id),
                lang.code(),
                esc(meta.title(lang))
            );
            let _ = writeln!(
                h,
                "<p><b>{}:</b> {}</p>",
                t("cover.description"),
                esc(&definition(meta, lang))
            );
            let _ = writeln!(
                h,
                "<p><b>{}:</b> {}</p>",
                t("cover.unit"),
                esc(&unit_text(meta, lang))
            );
            let _ = writeln!(
                h,
                "<p><b>{}:</b> {}</p>",
                t("cover.policy"),
                esc(&meta.policy)
            );
            let links: Vec<String> = files
                .iter()
                .filter(|f| {
                    f.ends_with(".px")
                        || !f.contains('/')
                        || f.starts_with(&format!("{}/", lang.code()))
                })
                .map(|f| format!("<a href=\"{}\">{}</a>", esc(f), esc(f)))
                .collect();
            let _ = writeln!(
                h,
                "<p><b>{}:</b> {}</p>",
                t("cover.files"),
                links.join(" · ")
            );
        }
        let _ = writeln!(h, "<h2>{}</h2>\n<table>", t("cover.legend"));
        let perturbed = c.tables.iter().any(|(m, _)| m.perturbed);
        let symbol = c.tables.first().map_or("..", |(m, _)| m.symbol.as_str());
        let probe = Meta {
            symbol: symbol.to_owned(),
            perturbed,
            ..Meta::default()
        };
        for (s, m) in legend(&probe, lang) {
            let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(&s), esc(&m));
        }
        h.push_str("</table>\n");
        let _ = writeln!(
            h,
            "<p><b>{}:</b> <code>{}</code></p>",
            t("cover.audit"),
            esc(c.audit_hash)
        );
        let _ = writeln!(
            h,
            "<p>{}</p>\n</section>\n<hr>",
            esc(&peitto_i18n::format(
                lang,
                "cover.generated",
                &[("date", &c.created)]
            ))
        );
    }
    h.push_str("</body>\n</html>\n");
    h
}
