// peitto dashboard: the page around the WebAssembly viewer. All selection,
// formatting and drawing is the viewer's (Rust); this file only builds the
// DOM, keeps the state in the URL, explains withheld values on hover and
// focus, and exports what is shown.
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
    view.filters.map((f) => `${f.label}: ${(f.options.find((o) => o[0] === f.value)?.[1] ?? f.value).trim()}`);

  // One tooltip for every withheld mark (table cell or chart mark): shown
  // on hover and on keyboard focus, so the explanation is never mouse-only.
  const tip = document.getElementById("tip");
  const showTip = (target) => {
    const note = target.closest && target.closest("[data-note]");
    if (!note) return;
    tip.textContent = note.getAttribute("data-note");
    const r = note.getBoundingClientRect();
    tip.style.left = `${Math.max(4, r.left + window.scrollX)}px`;
    tip.style.top = `${r.bottom + window.scrollY + 6}px`;
    tip.hidden = false;
  };
  const hideTip = () => { tip.hidden = true; };
  document.addEventListener("mouseover", (e) => (e.target.closest && e.target.closest("[data-note]") ? showTip(e.target) : null));
  document.addEventListener("mouseout", (e) => (e.target.closest && e.target.closest("[data-note]") ? hideTip() : null));
  document.addEventListener("focusin", (e) => (e.target.closest && e.target.closest("[data-note]") ? showTip(e.target) : hideTip()));
  document.addEventListener("focusout", hideTip);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") hideTip(); });

  function exportPng(section, svgText, view, index) {
    const img = new Image();
    const svg = new Blob([svgText], { type: "image/svg+xml" });
    img.onload = () => {
      const notes = [section.title, ...activeFilters(view), `${bundle.manifest.symbol} ${view.withheld_note}`];
      const canvas = el("canvas", { width: img.width, height: img.height + 20 * (notes.length + 1) });
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0);
      ctx.fillStyle = "#000";
      ctx.font = "13px sans-serif";
      notes.forEach((n, i) => ctx.fillText(n, 10, img.height + 16 + 20 * i));
      canvas.toBlob((b) => download(`${section.id}-${index + 1}.png`, b), "image/png");
    };
    img.src = URL.createObjectURL(svg);
  }

  function headline(view) {
    const box = el("section", { id: "headline", "aria-labelledby": "h-headline" });
    box.appendChild(el("h2", { id: "h-headline", class: "visually-hidden" }, t("board.key_figures")));
    const list = el("div", { class: "figures" });
    for (const f of view.headline) {
      const card = el("div", { class: "figure" });
      card.appendChild(el("div", { class: "figure-label" }, f.label));
      const value = el("div", { class: "figure-value" }, f.value.text);
      if (f.value.withheld) markWithheld(value, view, f.label);
      card.appendChild(value);
      if (f.change) card.appendChild(el("div", { class: "figure-change" }, f.change));
      card.appendChild(el("div", { class: "figure-context" }, f.context));
      list.appendChild(card);
    }
    box.appendChild(list);
    return box;
  }

  function markWithheld(node, view, what) {
    node.classList.add("withheld");
    node.setAttribute("tabindex", "0");
    node.setAttribute("data-note", view.withheld_note);
    node.setAttribute("aria-label", `${what}: ${bundle.manifest.symbol} ${view.withheld_note}`);
  }

  function section(s, view) {
    const box = el("section", { class: "block", id: `section-${s.id}`, "data-kind": s.kind, "aria-labelledby": `h-${s.id}` });
    box.appendChild(el("h2", { id: `h-${s.id}` }, s.title));
    const pair = el("div", { class: "pair" });
    const charts = el("div", { class: "charts" });
    s.charts.forEach((svg, i) => {
      const chart = el("figure", { class: "chart", "aria-label": `${t("dashboard.chart")}: ${s.headings[i + 1] || s.title}` });
      chart.innerHTML = svg;
      charts.appendChild(chart);
    });
    pair.appendChild(charts);
    if (s.rows.length === 0) {
      box.appendChild(el("p", { class: "empty" }, t("board.empty")));
      return box;
    }
    const wrap = el("div", { class: "data", tabindex: "0", role: "region", "aria-label": `${t("dashboard.table")}: ${s.title}` });
    const table = el("table");
    table.appendChild(el("caption", { class: "visually-hidden" }, s.title));
    const head = el("tr");
    s.headings.forEach((h) => head.appendChild(el("th", { scope: "col" }, h)));
    table.appendChild(el("thead")).appendChild(head);
    const body = el("tbody");
    for (const row of s.rows) {
      const tr = el("tr");
      row.forEach((cell, i) => {
        const td = el(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : { class: "n" }, cell.text);
        if (cell.withheld) markWithheld(td, view, `${row[0].text}, ${s.headings[i]}`);
        tr.appendChild(td);
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
    actions.appendChild(csv);
    s.charts.forEach((svg, i) => {
      const png = el("button", { type: "button", class: "export-png" }, `${t("dashboard.export_png")}${s.charts.length > 1 ? ` ${i + 1}` : ""}`);
      png.onclick = () => exportPng(s, svg, view, i);
      actions.appendChild(png);
    });
    box.appendChild(actions);
    return box;
  }

  function render() {
    const view = JSON.parse(viewer.view(JSON.stringify(state)));
    document.documentElement.lang = state.lang;
    document.title = `${view.title} · ${t("dashboard.title")}`;
    document.getElementById("title").textContent = t("dashboard.title");
    document.getElementById("skip").textContent = t("board.skip");
    document.getElementById("lang-label").textContent = t("dashboard.language");
    const lang = document.getElementById("lang");
    lang.value = state.lang;
    lang.onchange = () => setState({ lang: lang.value });

    const nav = document.getElementById("pages");
    nav.replaceChildren(
      ...bundle.manifest.pages.map((p) => {
        const b = el("button", { type: "button", "data-page": p.id }, t(`board.page_${p.id}`));
        if (p.id === state.page) b.setAttribute("aria-current", "page");
        b.onclick = () => setState({ page: p.id });
        return b;
      })
    );
    document.getElementById("page-title").textContent = view.title;

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

    document.getElementById("sections").replaceChildren(headline(view), ...view.sections.map((s) => section(s, view)));
    // Withheld marks inside the charts take the same note (set by the viewer).
    const legend = document.getElementById("legend");
    const dl = el("dl");
    for (const [symbol, meaning] of view.legend) dl.append(el("dt", {}, symbol), el("dd", {}, meaning));
    legend.replaceChildren(el("h2", {}, t("dashboard.legend")), dl, el("p", {}, `${bundle.manifest.symbol} ${view.withheld_note}`));
    document.getElementById("release").textContent = `${t("dashboard.release")}: ${bundle.manifest.release}`;
    hideTip();
    document.body.dataset.ready = "true";
  }

  window.addEventListener("hashchange", () => {
    state = readState();
    render();
  });
  render();
})();
