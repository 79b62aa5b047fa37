// peitto dashboard: the page around the WebAssembly viewer. All selection,
// formatting and drawing is the viewer's (Rust); this file only builds the
// DOM, keeps the state in the URL and exports what is shown.
(function () {
  "use strict";
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  wasm_bindgen.initSync({ module: bytes(window.PEITTO_WASM) });
  const bundle = window.PEITTO_BUNDLE;
  const viewer = new wasm_bindgen.Viewer(JSON.stringify(bundle.manifest));
  for (const [id, b64] of Object.entries(bundle.tables)) viewer.add_table(id, bytes(b64));

  // The state lives in the URL's fragment: a link reopens the same view,
  // from a web server and from a plain folder alike.
  const readState = () => {
    const s = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
    s.page = s.page || bundle.manifest.pages[0].id;
    s.lang = s.lang || document.documentElement.lang || "fi";
    return s;
  };
  let state = readState();
  const t = (key) => viewer.text(state.lang, key);
  const el = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const setState = (change) => {
    state = Object.assign({}, state, change);
    for (const k of Object.keys(state)) if (state[k] === "") delete state[k];
    history.replaceState(null, "", "#" + new URLSearchParams(state).toString());
    render();
  };
  const download = (name, blob) => {
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
  };
  const activeFilters = (view) =>
    view.filters.filter((f) => f.value !== "").map((f) => `${f.label}: ${f.options.find((o) => o[0] === f.value)?.[1] ?? f.value}`);

  function exportPng(section, view) {
    const img = new Image();
    const svg = new Blob([section.svg], { type: "image/svg+xml" });
    img.onload = () => {
      const notes = activeFilters(view);
      const canvas = el("canvas", { width: img.width, height: img.height + 20 * (notes.length + 1) });
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0);
      ctx.fillStyle = "#000";
      ctx.font = "13px sans-serif";
      notes.forEach((n, i) => ctx.fillText(n, 10, img.height + 16 + 20 * i));
      canvas.toBlob((b) => download(`${section.id}.png`, b), "image/png");
    };
    img.src = URL.createObjectURL(svg);
  }

  function render() {
    const view = JSON.parse(viewer.view(JSON.stringify(state)));
    document.documentElement.lang = state.lang;
    document.title = `${view.title} · ${t("dashboard.title")}`;
    document.getElementById("title").textContent = t("dashboard.title");
    document.getElementById("lang-label").textContent = t("dashboard.language");
    const lang = document.getElementById("lang");
    lang.value = state.lang;
    lang.onchange = () => setState({ lang: lang.value });

    const nav = document.getElementById("pages");
    nav.replaceChildren(
      ...bundle.manifest.pages.map((p) => {
        const b = el("button", { type: "button", "data-page": p.id }, t(`dashboard.page_${p.id}`));
        if (p.id === state.page) b.setAttribute("aria-current", "page");
        b.onclick = () => setState({ page: p.id });
        return b;
      })
    );

    const form = document.getElementById("filters");
    form.replaceChildren(
      ...view.filters.map((f) => {
        const label = el("label", {}, f.label);
        const select = el("select", { name: f.kind, id: `filter-${f.kind}` });
        for (const [value, text] of f.options) {
          const o = el("option", { value }, text);
          if (value === f.value) o.selected = true;
          select.appendChild(o);
        }
        select.onchange = () => setState({ [f.kind]: select.value });
        label.appendChild(select);
        return label;
      })
    );

    const sections = document.getElementById("sections");
    sections.replaceChildren(
      ...view.sections.map((s) => {
        const box = el("section", { class: "table", id: `section-${s.id}`, "aria-labelledby": `h-${s.id}` });
        box.appendChild(el("h2", { id: `h-${s.id}` }, s.title));
        const pair = el("div", { class: "pair" });
        const chart = el("div", { class: "chart", role: "img", "aria-label": `${t("dashboard.chart")}: ${s.title}` });
        chart.innerHTML = s.svg;
        pair.appendChild(chart);
        const wrap = el("div", { class: "data", tabindex: "0", "aria-label": `${t("dashboard.table")}: ${s.title}` });
        const table = el("table");
        table.appendChild(el("caption", { class: "visually-hidden" }, s.title));
        const head = el("tr");
        s.headings.forEach((h) => head.appendChild(el("th", { scope: "col" }, h)));
        table.appendChild(el("thead")).appendChild(head);
        const body = el("tbody");
        for (const row of s.rows) {
          const tr = el("tr");
          row.forEach((cell, i) => {
            const numeric = /^[-\d]/.test(cell) && i > 0;
            const cls = cell === bundle.manifest.symbol ? "n withheld" : numeric ? "n" : "";
            tr.appendChild(el("td", cls ? { class: cls } : {}, cell));
          });
          body.appendChild(tr);
        }
        table.appendChild(body);
        wrap.appendChild(table);
        pair.appendChild(wrap);
        box.appendChild(pair);
        const actions = el("div", { class: "actions" });
        const csv = el("button", { type: "button", class: "export-csv" }, t("dashboard.export_csv"));
        csv.onclick = () => download(`${s.id}.csv`, new Blob([s.csv], { type: "text/csv" }));
        const png = el("button", { type: "button", class: "export-png" }, t("dashboard.export_png"));
        png.onclick = () => exportPng(s, view);
        actions.append(csv, png);
        box.appendChild(actions);
        return box;
      })
    );

    const legend = document.getElementById("legend");
    const dl = el("dl");
    for (const [symbol, meaning] of view.legend) {
      dl.append(el("dt", {}, symbol), el("dd", {}, meaning));
    }
    legend.replaceChildren(el("h2", {}, t("dashboard.legend")), dl);
    document.getElementById("release").textContent = `${t("dashboard.release")}: ${bundle.manifest.release}`;
    document.body.dataset.ready = "true";
  }

  window.addEventListener("hashchange", () => {
    state = readState();
    render();
  });
  render();
})();
