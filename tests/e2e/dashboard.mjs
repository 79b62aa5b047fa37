// End-to-end test of a built dashboard in a real headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core). Serves the folder
// on localhost, then checks what a manager relies on against the bundle
// (the Arrow tables and manifest the build wrote), and keeps a screenshot
// of every page in Finnish and Swedish for review (tests/e2e/screenshots/,
// or $PEITTO_E2E_SCREENSHOTS). Prints cargo-style lines so tests/run.sh
// counts them.
//
//   node tests/e2e/dashboard.mjs DASHBOARD_DIR [--timing]
import { chromium } from "playwright-core";
import { tableFromIPC } from "apache-arrow";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.resolve(process.argv[2]);
const timingOnly = process.argv.includes("--timing");
const shots = process.env.PEITTO_E2E_SCREENSHOTS || path.join(path.dirname(fileURLToPath(import.meta.url)), "screenshots");
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm" };
const server = http.createServer((req, res) => {
  const rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = path.join(dir, rel.endsWith("/") ? rel + "index.html" : rel);
  if (!file.startsWith(dir) || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { "Content-Type": types[path.extname(file)] || "application/octet-stream" });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}/index.html`;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });

let passed = 0, failed = 0;
async function test(name, fn) {
  try { await fn(); console.log(`test e2e ${name} ... ok`); passed++; }
  catch (e) { console.log(`test e2e ${name} ... FAILED: ${e.stack || e}`); failed++; }
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };

const manifest = JSON.parse(fs.readFileSync(path.join(dir, "data/manifest.json"), "utf8"));
const rowsOf = (id) => {
  const t = manifest.tables.find((x) => x.id === id);
  return tableFromIPC(fs.readFileSync(path.join(dir, t.file))).toArray().map((r) => r.toJSON());
};
const placed = rowsOf("placed_children");
const lastYear = String(Math.max(...placed.map((r) => r.year)));
const areaSection = "#section-placed_children-areas-municipality_code";
const SSS = "SSS";

// A number as the page shows it, back to a number (fi/sv: "1 234,5"; en: "1,234.5").
const parse = (text, lang) => {
  if (text === manifest.symbol) return null;
  if (text === "-") return 0;
  const t = lang === "en" ? text.replace(/,/g, "") : text.replace(/[\s\u00a0]/g, "").replace(",", ".").replace("\u2212", "-");
  return Number(t);
};
const near = (a, b) => (a === null || b === null ? a === b : Math.abs(a - b) < 0.051);
async function tableOf(page, section) {
  return page.$$eval(`${section} tbody tr`, (trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
}
async function headingsOf(page, section) {
  return page.$$eval(`${section} thead th`, (ths) => ths.map((th) => th.textContent));
}
// The bundle's placed_children rows for an area at the default view (latest
// year, all ages and both sexes).
const placedAt = (code, year = lastYear) =>
  placed.find((r) => r.municipality_code === code && String(r.year) === year && r.age === null && r.sex === null);
const counties = Object.keys(manifest.parents).filter((c) => manifest.parents[c] === SSS);
const nameOf = (code, lang) => (manifest.areas[code] || {})[lang];

async function open(hash) {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  await page.goto(`${base}#${hash}`);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

const t0 = Date.now();
const page = await open("lang=fi");
await page.waitForSelector(`${areaSection} svg`);
const firstChartMs = Date.now() - t0;

if (timingOnly) {
  console.log(`first chart after ${firstChartMs} ms`);
} else {
  fs.mkdirSync(shots, { recursive: true });

  await test("areas_are_named_in_finnish_and_swedish_one_level_per_chart", async () => {
    for (const lang of ["fi", "sv"]) {
      const p = await open(`lang=${lang}&page=placements`);
      const shown = (await tableOf(p, areaSection)).map((r) => r[0]);
      // All areas chosen: the comparison is of counties, each by name.
      const want = counties.filter((c) => placedAt(c)).map((c) => nameOf(c, lang)).sort();
      assert(shown.length > 1, `${lang}: ${shown.length} areas`);
      assert(JSON.stringify([...shown].sort()) === JSON.stringify(want), `${lang}: ${shown} vs ${want}`);
      assert(shown.every((n) => !/^(HV)?\d+$/.test(n)), `${lang}: a code on the page: ${shown}`);
      const bars = await p.$$eval(`${areaSection} figure.chart:first-child svg g.mark, ${areaSection} figure.chart:first-child svg g.withheld`, (ts) => ts.length);
      assert(bars === shown.length, `${lang}: ${bars} bars for ${shown.length} areas`);
      // A county chosen: its municipalities, in the language (Pietarsaari is Jakobstad in Swedish).
      const county = manifest.parents["598"];
      if (county) {
        await p.selectOption("#filter-area", county);
        const names = (await tableOf(p, areaSection)).map((r) => r[0]);
        const kids = Object.keys(manifest.parents).filter((c) => manifest.parents[c] === county && placedAt(c));
        assert(names.length === kids.length, `${lang}: ${names} for ${kids}`);
        assert(names.includes(lang === "sv" ? "Jakobstad" : "Pietarsaari"), `${lang}: ${names}`);
      }
      await p.close();
    }
  });

  await test("categories_are_named_not_coded", async () => {
    const p = await open("lang=sv&page=placements");
    const forms = (await tableOf(p, "#section-placement_days_by_form-breakdown-form")).map((r) => r[0]);
    assert(forms.length > 0, "no forms");
    const names = Object.values(manifest.codes.form).map((n) => n.sv);
    assert(forms.every((f) => names.includes(f)), `forms ${forms}`);
    assert(!forms.some((f) => /^[A-Z_]+$/.test(f)), `a code: ${forms}`);
    await p.close();
  });

  await test("a_rate_per_1000_stands_next_to_its_count", async () => {
    const heads = await headingsOf(page, areaSection);
    const rate = manifest.tables.find((t) => t.id === "placed_children").columns.find((c) => c.name === "per_1000");
    assert(heads[2] === rate.labels.fi, `headings ${heads}`);
    let checked = 0;
    for (const row of await tableOf(page, areaSection)) {
      const code = counties.find((c) => nameOf(c, "fi") === row[0]);
      const b = placedAt(code);
      assert(near(parse(row[1], "fi"), b.children), `${row[0]} count ${row[1]} vs ${b.children}`);
      const want = b.children === null || !b.population ? null : Math.round((b.children * 10000) / b.population) / 10;
      assert(near(parse(row[2], "fi"), want), `${row[0]} rate ${row[2]} vs ${want}`);
      if (want !== null) checked++;
    }
    assert(checked > 0, "no published rate to check");
    // The rate has its own chart beside the count's.
    assert((await page.$$(`${areaSection} svg`)).length === 2, "count and rate charts");
  });

  await test("a_withheld_value_is_marked_and_explained_on_focus_and_hover", async () => {
    // The first view (sex, then age) with a withheld count in the area comparison.
    let p = null;
    const options = [["sex", "2"], ["sex", "1"], ...Array.from({ length: 18 }, (_, i) => ["age", String(i)])];
    for (const [k, v] of [["", ""], ...options]) {
      const cand = await open(`lang=fi&page=placements${k ? `&${k}=${v}` : ""}`);
      if (await cand.$(`${areaSection} td.withheld`)) { p = cand; break; }
      await cand.close();
    }
    assert(p, "no view with a withheld value");
    const td = await p.$(`${areaSection} td.withheld`);
    assert((await td.textContent()) === manifest.symbol, "symbol");
    const note = await td.getAttribute("data-note");
    assert(note && note.length > 20, `note ${note}`);
    // Keyboard: Tab reaches it and the explanation shows.
    await p.focus("#filter-year");
    let reached = false;
    for (let i = 0; i < 200 && !reached; i++) {
      await p.keyboard.press("Tab");
      reached = await p.evaluate(() => document.activeElement && document.activeElement.matches("td.withheld, g.withheld"));
    }
    assert(reached, "Tab never reached a withheld value");
    assert(await p.isVisible("#tip"), "no explanation on focus");
    assert((await p.textContent("#tip")) === note, "explanation text");
    // Hover on the chart's mark.
    await p.keyboard.press("Escape");
    const mark = await p.$(`${areaSection} svg g.withheld`);
    assert(mark, "no mark in the chart");
    assert((await mark.getAttribute("data-note")) === note, "chart note");
    await mark.hover();
    assert(await p.isVisible("#tip"), "no explanation on hover");
    await p.screenshot({ path: path.join(shots, "withheld-explained-fi.png"), fullPage: false });
    // The bundle has NULL there.
    const legend = await p.textContent("#legend");
    assert(legend.includes(manifest.symbol), "no legend for the symbol");
    await p.close();
  });

  await test("headline_figures_show_the_change_from_last_year", async () => {
    const figures = await page.$$eval("#headline .figure", (fs) => fs.map((f) => ({
      value: f.querySelector(".figure-value").textContent,
      change: f.querySelector(".figure-change")?.textContent || "",
    })));
    assert(figures.length >= 3, `${figures.length} figures`);
    const b = placedAt(SSS);
    assert(near(parse(figures[0].value, "fi"), b.children), `headline ${figures[0].value} vs ${b.children}`);
    const before = placedAt(SSS, String(Number(lastYear) - 1));
    if (before) assert(figures[0].change.startsWith(`${Number(lastYear) - 1}:`), `change ${figures[0].change}`);
  });

  await test("numbers_are_formatted_for_the_language", async () => {
    const ticks = await page.$$eval("svg text.tick", (ts) => ts.map((t) => t.textContent));
    assert(ticks.length > 0, "no axis numbers");
    assert(ticks.every((t) => /^-?\d{1,3}(\u00a0\d{3})*(,\d+)?$/.test(t)), `fi ticks ${ticks.filter((t) => !/^-?\d{1,3}(\u00a0\d{3})*(,\d+)?$/.test(t))}`);
    const en = await open("lang=en&page=costs");
    const enTicks = await en.$$eval("svg text.tick", (ts) => ts.map((t) => t.textContent));
    assert(enTicks.every((t) => /^-?\d{1,3}(,\d{3})*(\.\d+)?$/.test(t)), `en ticks ${enTicks}`);
    await en.close();
  });

  await test("a_link_reopens_the_same_view", async () => {
    const p = await open("lang=fi");
    await p.click("nav button[data-page=placements]");
    await p.selectOption("#filter-sex", "2");
    await p.selectOption("#lang", "sv");
    const county = counties[0];
    await p.selectOption("#filter-area", county);
    const url = p.url();
    for (const part of ["sex=2", "lang=sv", `area=${county}`, "page=placements"]) assert(url.includes(part), `${part} not in ${url}`);
    const again = await open(url.split("#")[1]);
    assert(JSON.stringify(await tableOf(again, areaSection)) === JSON.stringify(await tableOf(p, areaSection)), "different rows");
    assert(JSON.stringify(await again.$$eval("#headline .figure-value", (v) => v.map((x) => x.textContent)))
      === JSON.stringify(await p.$$eval("#headline .figure-value", (v) => v.map((x) => x.textContent))), "different figures");
    assert((await again.$eval("#filter-sex", (s) => s.value)) === "2", "filter lost");
    assert((await again.$eval("#filter-area", (s) => s.value)) === county, "area lost");
    assert((await again.$eval("#lang", (s) => s.value)) === "sv", "language lost");
    await again.close();
    await p.close();
  });

  await test("export_csv_holds_exactly_the_cells_shown", async () => {
    for (const section of [areaSection, "#section-placed_children-trend-year", "#section-placement_days_by_form-breakdown-form"]) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(`${section} .export-csv`)]);
      const text = fs.readFileSync(await download.path(), "utf8");
      const lines = text.trim().split("\n");
      assert(lines.some((l) => l.startsWith("#") && l.includes("year=")), "no filters line");
      assert(lines[lines.length - 1].startsWith(`# ${manifest.symbol}`), "no footnote");
      const body = lines.filter((l) => !l.startsWith("#"));
      const heads = await headingsOf(page, section);
      assert(body[0] === heads.join(","), `headings ${body[0]} vs ${heads}`);
      const shown = await tableOf(page, section);
      const data = body.slice(1).map((l) => l.split(","));
      assert(data.length === shown.length, `${section}: ${data.length} rows in CSV, ${shown.length} shown`);
      data.forEach((cells, i) => {
        assert(cells.length === shown[i].length, `row ${i} width`);
        assert(cells[0] === shown[i][0], `row ${i}: ${cells[0]} vs ${shown[i][0]}`);
        for (let c = 1; c < cells.length; c++) {
          const csv = cells[c] === manifest.symbol ? null : Number(cells[c]);
          assert(near(csv, parse(shown[i][c], "fi")), `row ${i} col ${c}: ${cells[c]} vs ${shown[i][c]}`);
        }
      });
    }
  });

  await test("every_page_renders_in_finnish_and_swedish_with_a_screenshot", async () => {
    for (const lang of ["fi", "sv"]) {
      for (const p of manifest.pages) {
        const view = await open(`lang=${lang}&page=${p.id}`);
        const sections = await view.$$eval("#sections section.block", (s) => s.length);
        assert(sections === p.blocks.length, `${p.id}: ${sections} sections`);
        // A figure whose cell the bundle lacks (a report without the
        // chosen area's total) is left out, never made up.
        const figures = await view.$$eval("#headline .figure", (s) => s.length);
        assert(figures <= p.headline.length, `${p.id}: ${figures} figures`);
        await view.screenshot({ path: path.join(shots, `${p.id}-${lang}.png`), fullPage: true });
        await view.close();
      }
    }
  });

  await test("keyboard_reaches_the_controls", async () => {
    const p = await open("lang=fi");
    await p.keyboard.press("Tab");
    const focused = await p.evaluate(() => document.activeElement && document.activeElement.id);
    assert(focused === "skip", `first Tab on ${focused}`);
    await p.keyboard.press("Tab");
    const next = await p.evaluate(() => document.activeElement && document.activeElement.tagName);
    assert(["BUTTON", "SELECT"].includes(next), `focus on ${next}`);
    // A page button works from the keyboard.
    await p.focus("nav button[data-page=costs]");
    await p.keyboard.press("Enter");
    await p.waitForFunction(() => location.hash.includes("page=costs"));
    await p.close();
  });

  await test("the_site_opens_from_a_plain_folder", async () => {
    const local = await browser.newPage();
    await local.goto(`file://${dir}/index.html#lang=en`);
    await local.waitForSelector("body[data-ready=true] svg");
    await local.close();
  });
  console.log(`first chart after ${firstChartMs} ms; screenshots in ${shots}`);
}
await browser.close();
server.close();
console.log(`test result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed`);
process.exit(failed ? 1 : 0);
