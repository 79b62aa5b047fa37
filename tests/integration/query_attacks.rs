//! Attacks a black-box attacker found against the closed query model, kept
//! as tests: each must now give nothing beyond the protected grid.

use crate::common::on_sample;

/// (exit status, stdout, stderr) of a query on the sample project.
fn query(sql: &str) -> (bool, String, String) {
    let out = on_sample(&["query", sql, "--format", "csv"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The table of a released answer (its lines before the legend).
fn table(sql: &str) -> String {
    let (ok, out, err) = query(sql);
    assert!(ok, "{sql}\n{err}");
    out.split("\n\n").next().unwrap_or_default().to_owned()
}

/// A month of birth exactly one person of the sample has, with a service
/// decision, as a condition on the birth date column `col`: the finest way
/// a query may single out a person by birth.
fn lone_client(col: &str) -> String {
    crate::query_model::lone_birth_month("service_decision", col)
}

#[test]
fn a_union_below_the_aggregate_is_protected_like_its_branches() {
    let d = lone_client("p.birth_date");
    let bare = lone_client("birth_date");
    // The same rows with and without an empty UNION branch: the same
    // protected answer, never the raw aggregate.
    for (plain, with_union) in [
        (
            format!("SELECT SUM(amount_eur) AS eur, COUNT(*) AS n FROM service_decision s JOIN person p ON p.person_key = s.person_key WHERE {d}"),
            format!("SELECT SUM(amount_eur) AS eur, COUNT(*) AS n FROM (SELECT s.person_key, s.amount_eur FROM service_decision s JOIN person p ON p.person_key = s.person_key WHERE {d} UNION ALL SELECT s.person_key, s.amount_eur FROM service_decision s WHERE FALSE) t"),
        ),
        (
            "SELECT municipality_code, domain, COUNT(*) AS n, COUNT(DISTINCT person_key) AS persons FROM service_decision WHERE EXTRACT(YEAR FROM decision_date) = 2025 GROUP BY 1, 2".to_owned(),
            "SELECT municipality_code, domain, COUNT(*) AS n, COUNT(DISTINCT person_key) AS persons FROM (SELECT person_key, municipality_code, domain, decision_date FROM service_decision WHERE EXTRACT(YEAR FROM decision_date) = 2025 UNION ALL SELECT person_key, municipality_code, domain, decision_date FROM service_decision WHERE FALSE) t GROUP BY 1, 2".to_owned(),
        ),
        (
            format!("SELECT sex, COUNT(*) AS n FROM person WHERE {bare} GROUP BY sex"),
            format!("SELECT sex, COUNT(*) AS n FROM (SELECT person_key, sex FROM person WHERE {bare} UNION SELECT person_key, sex FROM person WHERE birth_date < DATE '1800-01-01') t GROUP BY sex"),
        ),
    ] {
        assert_eq!(table(&with_union), table(&plain), "{with_union}");
    }
    // One person's cell stays withheld through a UNION.
    let one = table(&format!(
        "SELECT COUNT(*) AS n FROM (SELECT person_key FROM person WHERE {bare} UNION ALL SELECT person_key FROM person WHERE FALSE) t"
    ));
    assert!(
        one.lines().nth(1).is_some_and(|l| l.trim() == ".."),
        "{one}"
    );
}

#[test]
fn values_a_query_makes_up_give_null_not_a_failure() {
    let d = lone_client("p.birth_date");
    // A month count that would overflow, a span of 8 000 years, a year far
    // out: each is NULL, so the query runs the same whether or not the
    // condition on one person holds.
    for template in [
        "SELECT COUNT(DISTINCT p.person_key) AS n FROM person p JOIN service_decision s ON s.person_key = p.person_key WHERE add_months(p.birth_date, CASE WHEN {d} AND s.amount_eur > {t} THEN 2147483647 ELSE 0 END) >= DATE '1900-01-01'",
        "SELECT COUNT(DISTINCT p.person_key) AS n FROM person p JOIN service_decision s ON s.person_key = p.person_key WHERE working_days_after(DATE '0001-01-01', CASE WHEN {d} AND s.amount_eur > {t} THEN DATE '9999-12-01' ELSE DATE '0001-02-01' END) IS NULL",
        "SELECT COUNT(DISTINCT p.person_key) AS n FROM person p JOIN service_decision s ON s.person_key = p.person_key WHERE age_at_year_end(p.birth_date, CASE WHEN {d} AND s.amount_eur > {t} THEN 2147483647 ELSE 2025 END) >= 0",
    ] {
        for t in ["-1", "100000000"] {
            let sql = template.replace("{d}", &d).replace("{t}", t);
            let (ok, _, err) = query(&sql);
            assert!(ok, "{sql}\n{err}");
        }
    }
}

#[test]
fn dates_move_only_by_literal_intervals_of_at_most_a_century() {
    for sql in [
        "SELECT COUNT(*) AS n FROM person WHERE birth_date + INTERVAL '2000000 days' > DATE '2000-01-01'",
        "SELECT COUNT(*) AS n FROM cw_placement WHERE start + (\"end\" - start) * 1000000 > DATE '2000-01-01'",
    ] {
        let (ok, _, err) = query(sql);
        assert!(
            !ok && err.contains("could fail on a stored value"),
            "{sql}\n{err}"
        );
    }
    let (ok, _, err) = query(
        "SELECT COUNT(*) AS n FROM cw_placement WHERE start + INTERVAL '3 months' <= DATE '2025-12-31'",
    );
    assert!(ok, "{err}");
}

#[test]
fn no_internal_detail_reaches_the_user() {
    // Whatever fails, the message names no source file and no panic.
    for sql in [
        "SELECT COUNT(*) AS n FROM person WHERE add_months(birth_date, 2147483647) IS NULL",
        "SELECT COUNT(*) AS n FROM person WHERE working_days_after(birth_date, DATE '9999-12-31') > 0",
    ] {
        let (_, _, err) = query(sql);
        assert!(
            !err.contains(".rs:") && !err.contains("panicked"),
            "{sql}\n{err}"
        );
    }
}

#[test]
fn nothing_that_fails_where_a_condition_reaches_it_runs() {
    // An invalid pattern or an overflow fails only where a row reaches it:
    // each is refused before anything runs.
    for sql in [
        "SELECT sex, COUNT(*) AS n FROM person WHERE CASE WHEN birth_date > DATE '2010-01-01' THEN sex ~ '[' ELSE true END GROUP BY sex",
        "SELECT domain, COUNT(*) AS n FROM service_decision WHERE CASE WHEN decision_date > DATE '2025-01-01' THEN (EXTRACT(YEAR FROM decision_date) - EXTRACT(YEAR FROM decision_date) - 9223372036854775807 - 1) / -1 ELSE 1 END > 0 GROUP BY domain",
        "SELECT domain, COUNT(*) AS n FROM service_decision WHERE CASE WHEN decision_date > DATE '2025-01-01' THEN EXTRACT(YEAR FROM decision_date) % -1 ELSE 1 END >= 0 GROUP BY domain",
    ] {
        let (ok, _, err) = query(sql);
        assert!(!ok, "{sql} ran");
        assert!(
            err.contains("Not released"),
            "{sql}: not refused before running:\n{err}"
        );
    }
}

#[test]
fn a_persons_rows_multiply_in_one_join_at_most() {
    // Three invoice tables joined on the person: each person's lines to the
    // third power, which a condition on one person could make run for
    // minutes (the time limit would then answer the condition).
    let (ok, _, err) = query(
        "SELECT a.municipality_code, COUNT(DISTINCT a.person_key) AS n FROM care_invoice_line a \
         JOIN care_invoice_line b ON b.person_key = a.person_key \
         JOIN care_invoice_line c ON c.person_key = b.person_key GROUP BY 1",
    );
    assert!(!ok && err.contains("multiply"), "{err}");
    // Through the person table or a per-person subquery, as many tables as needed.
    let (ok, _, err) = query(
        "SELECT pl.form, COUNT(DISTINCT p.person_key) AS n FROM person p \
         JOIN cw_placement pl ON pl.person_key = p.person_key \
         JOIN (SELECT person_key, COUNT(*) AS lines FROM care_invoice_line GROUP BY person_key) l ON l.person_key = p.person_key \
         JOIN (SELECT person_key, COUNT(*) AS notifications FROM cw_notification GROUP BY person_key) nn ON nn.person_key = p.person_key \
         GROUP BY 1",
    );
    assert!(ok, "{err}");
}

#[test]
fn reference_data_joins_a_persons_row_only_on_a_dimension() {
    // An attacker of this model joined the population table on a measure
    // (`pop.age = l.billed_days`), on a per-person sum and on a birth date,
    // and then compared the reference column as finely as they liked:
    // counts for every exact number of billed days, a person's total
    // invoiced euros digit by digit, birth dates to the day.
    for sql in [
        "SELECT pop.age, COUNT(DISTINCT l.person_key) AS n FROM care_invoice_line l \
         JOIN population pop ON pop.age = l.billed_days \
         WHERE pop.year = 2025 AND pop.area_code = 'KU285' AND pop.sex = '1' GROUP BY 1",
        "SELECT pl.form, COUNT(DISTINCT pl.person_key) AS n FROM cw_placement pl \
         JOIN (SELECT person_key, SUM(billed_days) AS d FROM care_invoice_line GROUP BY person_key) t \
         ON t.person_key = pl.person_key \
         JOIN population pop ON pop.age = t.d WHERE pop.age BETWEEN 90 AND 95 GROUP BY 1",
        "SELECT pl.form, COUNT(DISTINCT pl.person_key) AS n FROM cw_placement pl \
         JOIN (SELECT person_key, COUNT(*) AS c FROM care_invoice_line GROUP BY person_key) t \
         ON t.person_key = pl.person_key \
         JOIN population pop ON pop.age = t.c WHERE pop.age = 17 GROUP BY 1",
        "SELECT p.sex, COUNT(DISTINCT p.person_key) AS n FROM person p \
         JOIN organisation o ON o.valid_from = p.birth_date GROUP BY 1",
    ] {
        let (ok, out, err) = query(sql);
        assert!(
            !ok && out.is_empty() && err.contains("dimension"),
            "{sql}\n{out}\n{err}"
        );
    }
    // On a dimension it still joins: the county of each municipality.
    let answer = table(
        "SELECT o.parent_code AS county, COUNT(DISTINCT pl.person_key) AS children \
         FROM cw_placement pl JOIN organisation o ON o.code = pl.municipality_code \
         WHERE o.org_type = 'KUNTA' GROUP BY 1",
    );
    assert!(answer.lines().count() > 1, "{answer}");
}

#[test]
fn a_join_with_reference_data_cannot_multiply_a_persons_rows() {
    // An attacker of this model joined population on sex two or three
    // times below a condition on one target: 2 524 population rows per
    // sex made the target's one row millions, and the query ran a second,
    // or into its time limit, exactly when the condition held. A join with
    // reference data must now meet at most a few of its rows per person
    // row, counted on the reference table alone, before anything runs.
    let target = "WHERE pl.municipality_code = '171' AND pl.form = 'MUU'";
    for (condition, joins) in [("p.sex = '1'", 2), ("p.sex = '2'", 2), ("p.sex = '2'", 1)] {
        let population: String = (0..joins)
            .map(|i| format!(" JOIN population a{i} ON a{i}.sex = p.sex"))
            .collect();
        let sql = format!(
            "SELECT pl.municipality_code, COUNT(*) AS n FROM cw_placement pl \
             JOIN person p ON p.person_key = pl.person_key{population} \
             {target} AND {condition} GROUP BY 1"
        );
        let started = std::time::Instant::now();
        let (ok, out, err) = query(&sql);
        assert!(
            !ok && out.is_empty() && err.contains("reference data"),
            "{sql}\n{err}"
        );
        assert!(started.elapsed().as_secs() < 20);
    }
    // A join of reference data with itself, joined to persons, neither.
    let (ok, _, err) = query(
        "SELECT p.sex, COUNT(DISTINCT p.person_key) AS n FROM person p \
         JOIN (SELECT a.sex FROM population a JOIN population b ON a.sex = b.sex) x ON x.sex = p.sex \
         GROUP BY 1",
    );
    assert!(!ok && err.contains("reference data"), "{err}");
    // On a key it joins: the organisation register holds up to three rows
    // per code, so even twice a person's row meets at most nine.
    let answer = table(
        "SELECT o.parent_code AS county, COUNT(DISTINCT pl.person_key) AS children \
         FROM cw_placement pl JOIN organisation o ON o.code = pl.municipality_code \
         JOIN organisation o2 ON o2.code = pl.municipality_code \
         WHERE o.org_type = 'KUNTA' GROUP BY 1",
    );
    assert!(answer.lines().count() > 1, "{answer}");
}

#[test]
fn domain_functions_do_not_cut_a_date_at_a_day() {
    // An attacker of this model compared birth dates at a day through the
    // domain functions, which a plain comparison refuses, and so found a
    // child's birth date in fourteen questions.
    for condition in [
        "care_days(DATE '2010-03-17', p.birth_date, DATE '2000-01-01', DATE '2030-01-01', 'INCLUSIVE') > 0",
        "working_days_after(DATE '2010-03-17', p.birth_date) > 0",
        // A fixed month edge moved by a count of days is a day too.
        "working_days_after(p.birth_date, DATE '2025-12-31') > 7",
        "care_days(DATE '2010-03-01', p.birth_date, DATE '2000-01-01', DATE '2030-01-01', 'INCLUSIVE') > 30",
    ] {
        let sql = format!(
            "SELECT p.sex, COUNT(DISTINCT p.person_key) AS n FROM person p WHERE {condition} GROUP BY 1"
        );
        let (ok, out, err) = query(&sql);
        assert!(
            !ok && out.is_empty() && err.contains("declared class"),
            "{sql}\n{err}"
        );
    }
    // Days of a person's period within a window are asked whether they
    // are set: the window clips the period at a fixed day, so a count past
    // 0 would cut the other end at that day less the count.
    let answer = table(
        "SELECT form, COUNT(DISTINCT person_key) AS n FROM cw_placement \
         WHERE care_days(start, \"end\", DATE '2025-01-01', DATE '2026-01-01', 'INCLUSIVE') > 0 \
         GROUP BY form",
    );
    assert!(answer.lines().count() > 1, "{answer}");
    let (ok, _, err) = query(
        "SELECT form, COUNT(DISTINCT person_key) AS n FROM cw_placement \
         WHERE care_days(start, \"end\", DATE '2025-01-01', DATE '2026-01-01', 'STATISTICAL') > 30 \
         GROUP BY form",
    );
    assert!(!ok && err.contains("declared class"), "{err}");
}

#[test]
fn unions_of_a_persons_rows_cannot_multiply_them_either() {
    // An attacker of this model united a person table with itself thirty
    // times, twice over, and joined it twice: each person meeting a secret
    // condition became hundreds of thousands of rows, and the run time
    // (1 s against 2 s) counted them. Copies of a person's rows are
    // bounded now, before anything runs.
    let cte = |n: usize| {
        let t0 = "SELECT person_key FROM person WHERE sex = '1'";
        let t1 = vec!["SELECT person_key FROM t0"; n].join(" UNION ALL ");
        let t2 = vec!["SELECT person_key FROM t1"; n].join(" UNION ALL ");
        format!("WITH t0 AS ({t0}), t1 AS ({t1}), t2 AS ({t2}) ")
    };
    let sql = format!(
        "{}SELECT p.sex, COUNT(*) AS n FROM person p \
         JOIN (SELECT person_key FROM cw_placement WHERE form = 'LAITOSHOITO' GROUP BY person_key) s \
         ON s.person_key = p.person_key \
         JOIN t2 u1 ON u1.person_key = p.person_key JOIN t2 u2 ON u2.person_key = p.person_key \
         GROUP BY 1",
        cte(3)
    );
    let (ok, out, err) = query(&sql);
    assert!(!ok && out.is_empty() && err.contains("multiply"), "{err}");
    // A union of a table with itself many times, alone, neither.
    let many = vec!["SELECT person_key, form FROM cw_placement"; 20].join(" UNION ALL ");
    let (ok, _, err) = query(&format!(
        "SELECT form, COUNT(DISTINCT person_key) AS n FROM ({many}) GROUP BY 1"
    ));
    assert!(!ok && err.contains("multiply"), "{err}");
    // Two copies in a product of two multi-row tables, neither.
    let (ok, _, err) = query(
        "SELECT a.form, COUNT(DISTINCT a.person_key) AS n FROM \
         (SELECT person_key, form FROM cw_placement UNION ALL SELECT person_key, form FROM cw_placement) a \
         JOIN care_invoice_line l ON l.person_key = a.person_key GROUP BY 1",
    );
    assert!(!ok && err.contains("multiply"), "{err}");
    // A union of two registers, as a planner writes it, still runs.
    let answer = table(
        "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM \
         (SELECT person_key, municipality_code FROM cw_placement \
          UNION ALL SELECT person_key, municipality_code FROM cw_notification) GROUP BY 1",
    );
    assert!(answer.lines().count() > 1, "{answer}");
    // And a person's date cut to a week is refused: a week starts on any
    // day of a month, so compared with a month's first day it cuts at a day.
    let (ok, _, err) = query(
        "SELECT p.sex, COUNT(*) AS n FROM person p \
         WHERE date_trunc('week', p.birth_date) < DATE '2012-03-01' GROUP BY 1",
    );
    assert!(!ok && err.contains("date_trunc"), "{err}");
}

#[test]
fn a_query_too_long_to_check_is_refused_not_a_crash() {
    // 5 000 ANDs or 3 000 unions overflowed the planner's stack and
    // aborted the process; 60 nested brackets said "does not parse (line
    // 0, column 0)". Each is a refusal that names the rule.
    let ands = vec!["sex = '1'"; 5_000].join(" AND ");
    let unions = vec!["SELECT person_key FROM person"; 3_000].join(" UNION ALL ");
    for sql in [
        format!("SELECT COUNT(*) AS n FROM person WHERE {ands}"),
        format!("SELECT COUNT(DISTINCT person_key) AS n FROM ({unions}) t"),
        format!(
            "SELECT COUNT(*) AS n FROM person WHERE {}sex = '1'{}",
            "(".repeat(60),
            ")".repeat(60)
        ),
    ] {
        let out = on_sample(&["query", &sql]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(stderr.contains("too long"), "{stderr}");
    }
    // A question of ordinary length is answered.
    let fifty = vec!["sex = '1'"; 50].join(" AND ");
    let (ok, _, err) = query(&format!("SELECT COUNT(*) AS n FROM person WHERE {fifty}"));
    assert!(ok, "{err}");
}

#[test]
fn public_data_is_shown_as_it_is() {
    // An age of 0 in the population table was shown as "-" (the nil of a
    // count) and an organisation's empty end date as "Total".
    let ages = table(
        "SELECT age, SUM(persons) AS n FROM population WHERE area_code = 'KU171' AND year = 2025 AND age < 2 GROUP BY 1 ORDER BY 1",
    );
    let first: Vec<&str> = ages.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(first[0], "0", "{ages}");
    let organisations = table("SELECT code, valid_to FROM organisation ORDER BY code");
    let rows: Vec<&str> = organisations
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(rows.len() > 5, "{organisations}");
    for word in ["Total", "Yhteensä", "Totalt", ".."] {
        assert!(rows.iter().all(|r| !r.contains(word)), "{organisations}");
    }
}

#[test]
fn a_parameter_without_a_value_or_given_twice_is_named() {
    // `$zz` without `--param zz=` was refused as "not supported", and a
    // second `--param y=` was silently taken or dropped.
    let sql = "SELECT sex, COUNT(*) AS n FROM person WHERE EXTRACT(YEAR FROM birth_date) = $zz GROUP BY 1";
    let out = on_sample(&["--lang", "fi", "query", sql]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("$zz") && stderr.contains("--param zz=ARVO"),
        "{stderr}"
    );
    let out = on_sample(&["query", sql, "--param", "zz=2010", "--param", "zz=2011"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && out.stdout.is_empty() && stderr.contains("twice"),
        "{stderr}"
    );
    let (ok, _, err) = query(&sql.replace("$zz", "2010"));
    assert!(ok, "{err}");
}

#[test]
fn refusals_read_in_the_users_language_and_name_what_they_refuse() {
    // "(a date is compared only at the start or end of a month)" stayed
    // English in the Finnish and Swedish refusals, and a reference join
    // met only inside a subquery read "Ei julkaista: : viitetiedot".
    let date = "SELECT sex, COUNT(DISTINCT person_key) AS n FROM person WHERE birth_date = DATE '2010-03-15' GROUP BY 1";
    for lang in ["fi", "sv"] {
        let out = on_sample(&["--lang", lang, "query", date]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("2010-03-15"),
            "{stderr}"
        );
        for english in ["compared", "a date is", "against", "bin edges"] {
            assert!(!stderr.contains(english), "{lang}: {stderr}");
        }
    }
    let subquery = "SELECT pl.form, COUNT(DISTINCT pl.person_key) AS n FROM cw_placement pl WHERE pl.municipality_code IN (SELECT a.area_code FROM population a JOIN population b ON a.year = b.year) GROUP BY 1";
    let out = on_sample(&["--lang", "fi", "query", subquery]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && !stderr.contains(": :"), "{stderr}");
    // Reference data alone is not described as cells of persons.
    let out = on_sample(&[
        "query",
        "SELECT year, SUM(persons) AS n FROM population GROUP BY 1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("Public reference data"),
        "{stderr}"
    );
    assert!(!stderr.contains("0 cells"), "{stderr}");
}
