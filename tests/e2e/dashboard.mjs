// End-to-end test of a built dashboard in a real headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core). Serves the folder
// on localhost, then checks what a manager relies on. Prints cargo-style
// lines so tests/run.sh counts them.
//
//   node tests/e2e/dashboard.mjs DASHBOARD_DIR [--timing]
import { chromium } from "playwright-core";
import { tableFromIPC } from "apache-arrow";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const dir = path.resolve(process.argv[2]);
const timingOnly = process.argv.includes("--timing");
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
const first = manifest.tables.find((t) => t.id === "placed_children-placements");
const arrow = tableFromIPC(fs.readFileSync(path.join(dir, first.file)));
const bundleRows = arrow.toArray().map((r) => r.toJSON());
const lastYear = String(Math.max(...bundleRows.map((r) => r.year)));

// A number as the page shows it, back to a number (fi/sv: "1 234,5"; en: "1,234.5").
const parse = (text, lang) => {
  if (text === manifest.symbol) return null;
  if (text === "-") return 0;
  const t = lang === "en" ? text.replace(/,/g, "") : text.replace(/[\s\u00a0]/g, "").replace(",", ".");
  return Number(t);
};
// The bundle's rows for the default view plus `filters` (absent filter: total).
const expected = (filters) =>
  bundleRows.filter((r) => String(r.year) === (filters.year || lastYear)
    && (r.age ?? "") === (filters.age || "") && (r.sex ?? "") === (filters.sex || ""));
async function pageRows(page) {
  return page.$$eval("#section-placed_children-placements tbody tr", (trs) =>
    trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
}
// An area as the page names it: from the manifest's names in the language.
const shownArea = (code, lang) => {
  const names = (manifest.areas || {})[code];
  return code === "SSS" || !names ? code : (names[lang] || names.fi);
};
function compare(rows, want, lang) {
  const col = (name) => first.columns.findIndex((c) => c.name === name);
  assert(rows.length === want.length, `${rows.length} rows on the page, ${want.length} in the bundle`);
  for (const w of want) {
    const row = rows.find((r) => r[col("municipality_code")] === shownArea(w.municipality_code, lang));
    assert(row, `no row for area ${w.municipality_code}`);
    for (const m of ["children", "population", "percent"]) {
      const got = parse(row[col(m)], lang);
      const exp = w[m];
      assert(exp === null ? got === null : Math.abs(got - exp) < 0.006, `${w.municipality_code} ${m}: page ${row[col(m)]}, bundle ${exp}`);
    }
  }
}

const t0 = Date.now();
const page = await browser.newPage({ acceptDownloads: true });
await page.goto(`${base}#lang=fi`);
await page.waitForSelector("body[data-ready=true] #section-placed_children-placements svg");
const firstChartMs = Date.now() - t0;

if (timingOnly) {
  console.log(`first chart after ${firstChartMs} ms`);
} else {
  await test("numbers_on_the_page_equal_the_bundle", async () => {
    compare(await pageRows(page), expected({}), "fi");
  });
  await test("a_withheld_cell_shows_the_symbol", async () => {
    const withheld = expected({}).filter((r) => r.children === null);
    assert(withheld.length > 0, "the sample view has withheld cells");
    const rows = await pageRows(page);
    const col = first.columns.findIndex((c) => c.name === "children");
    assert(rows.some((r) => r[col] === manifest.symbol), "no symbol on the page");
    const legend = await page.textContent("#legend");
    assert(legend.includes(manifest.symbol), "no legend for the symbol");
  });
  await test("changing_a_filter_and_the_language", async () => {
    await page.selectOption("#filter-sex", "2");
    compare(await pageRows(page), expected({ sex: "2" }), "fi");
    await page.selectOption("#lang", "sv");
    const heading = await page.textContent("#section-placed_children-placements th:nth-child(2)");
    assert(heading === first.columns[1].labels.sv, `heading ${heading}`);
    assert((await page.textContent("#title")).includes("instrumentpanel"), "title not in Swedish");
    compare(await pageRows(page), expected({ sex: "2" }), "sv");
    // Areas by name, in the language: Pietarsaari is Jakobstad in Swedish.
    const areaCol = first.columns.findIndex((c) => c.name === "municipality_code");
    const areas = (await pageRows(page)).map((r) => r[areaCol]);
    assert(areas.includes("Jakobstad") && !areas.includes("598"), `areas ${areas.slice(0, 8)}`);
    assert(page.url().includes("sex=2") && page.url().includes("lang=sv"), page.url());
  });
  await test("a_link_reopens_the_same_view", async () => {
    const again = await browser.newPage();
    await again.goto(page.url());
    await again.waitForSelector("body[data-ready=true]");
    assert(JSON.stringify(await pageRows(again)) === JSON.stringify(await pageRows(page)), "different rows");
    assert((await again.$eval("#filter-sex", (s) => s.value)) === "2", "filter lost");
    assert((await again.$eval("#lang", (s) => s.value)) === "sv", "language lost");
    await again.close();
  });
  await test("export_csv_has_the_rows_the_filters_and_the_footnote", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("#section-placed_children-placements .export-csv"),
    ]);
    const text = fs.readFileSync(await download.path(), "utf8");
    const lines = text.trim().split("\n");
    assert(lines.some((l) => l.startsWith("#") && l.includes("sex=2")), "no filters line");
    assert(lines[lines.length - 1].startsWith(`# ${manifest.symbol}`), "no footnote");
    const data = lines.filter((l) => !l.startsWith("#")).slice(1);
    assert(data.length === expected({ sex: "2" }).length, `${data.length} data rows`);
  });
  await test("every_page_renders_and_keyboard_reaches_the_controls", async () => {
    for (const p of manifest.pages) {
      await page.click(`nav button[data-page=${p.id}]`);
      await page.waitForSelector("body[data-ready=true]");
      const sections = await page.$$eval("#sections section", (s) => s.length);
      assert(sections === p.tables.length, `${p.id}: ${sections} sections`);
    }
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
    assert(["BUTTON", "SELECT"].includes(focused), `focus on ${focused}`);
  });
  await test("the_site_opens_from_a_plain_folder", async () => {
    const local = await browser.newPage();
    await local.goto(`file://${dir}/index.html#lang=en`);
    await local.waitForSelector("body[data-ready=true] svg");
    await local.close();
  });
  console.log(`first chart after ${firstChartMs} ms`);
}
await browser.close();
server.close();
console.log(`test result: ${failed ? "FAILED" : "ok"}. ${passed} passed; ${failed} failed`);
process.exit(failed ? 1 : 0);
