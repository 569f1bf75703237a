// Draws each card of a page from its panel's JSON rows.  Presentation only: rows are
// reshaped into plotly traces and formatted; no metric is computed here.
"use strict";

const PERCENT = /ctr|retention|stickiness|ci_low|ci_high/;
const FLOAT = /ctr|retention|stickiness|ci_|seconds|per_|mean|t_statistic|p_value/;

function format(column, value) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (/p_value/.test(column)) return value.toPrecision(3);
  if (PERCENT.test(column)) return (value * 100).toFixed(2) + "%";
  if (FLOAT.test(column)) return value.toFixed(2);
  return value.toLocaleString("en-US");
}

function label(column) {
  return column.replace(/_/g, " ");
}

function objects(body) {
  return body.rows.map((row) => Object.fromEntries(body.columns.map((c, i) => [c, row[i]])));
}

function matching(rows, match) {
  if (!match) return rows;
  return rows.filter((row) => Object.entries(match).every(([k, v]) => row[k] === v));
}

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function table(columns, rows) {
  const result = element("table", { class: "data" });
  const head = result.createTHead().insertRow();
  for (const c of columns) head.appendChild(element("th", {}, label(c)));
  const bodyRows = result.createTBody();
  for (const row of rows) {
    const tr = bodyRows.insertRow();
    for (const c of columns) {
      tr.appendChild(element("td", { "data-column": c, "data-value": JSON.stringify(row[c]) }, format(c, row[c])));
    }
  }
  return result;
}

function traces(spec, rows) {
  const kind = spec.type === "line" ? "scatter" : "bar";
  const base = kind === "scatter" ? { type: "scatter", mode: "lines+markers" } : { type: "bar" };
  const negative = new Set(spec.negative || []);
  if (spec.series) {
    const groups = new Map();
    for (const row of rows) {
      const key = String(row[spec.series]);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(row);
    }
    return [...groups].map(([key, group]) => ({
      ...base, name: key, x: group.map((r) => r[spec.x]), y: group.map((r) => r[spec.y[0]]),
    }));
  }
  return spec.y.map((column) => ({
    ...base, name: label(column), x: rows.map((r) => r[spec.x]),
    // Dormant users are drawn below zero (presentation); the table keeps the mart's value.
    y: rows.map((r) => (negative.has(column) && r[column] !== null ? -r[column] : r[column])),
  }));
}

function heatmap(spec, rows) {
  const ys = [...new Set(rows.map((r) => r[spec.y]))];
  const xs = [...new Set(rows.map((r) => r[spec.x]))].sort((a, b) => a - b);
  const z = ys.map(() => xs.map(() => null));
  for (const r of rows) z[ys.indexOf(r[spec.y])][xs.indexOf(r[spec.x])] = r[spec.z];
  return [{ type: "heatmap", x: xs, y: ys, z, colorscale: "Blues", reversescale: true, zmin: 0, zmax: 1,
            hovertemplate: "cohort %{y}<br>day %{x}: %{z:.1%}<extra></extra>", colorbar: { tickformat: ".0%" } }];
}

function errorbars(spec, rows) {
  return [{
    type: "bar", name: label(spec.y), x: rows.map((r) => String(r[spec.x])), y: rows.map((r) => r[spec.y]),
    error_y: { type: "data", symmetric: false, array: rows.map((r) => r[spec.high] - r[spec.y]),
               arrayminus: rows.map((r) => r[spec.y] - r[spec.low]) },
  }];
}

function kpis(spec, rows, dateTo) {
  const box = element("div", { class: "kpis" });
  const day = rows.filter((r) => !("date" in r) || r.date === dateTo);
  const row = day[day.length - 1];
  for (const field of spec.fields) {
    const kpi = element("div", { class: "kpi", "data-field": field });
    kpi.appendChild(element("div", { class: "label" }, label(field)));
    const value = row ? row[field] : null;
    kpi.appendChild(element("div", { class: "value", "data-value": JSON.stringify(value) }, format(field, value)));
    box.appendChild(kpi);
  }
  box.appendChild(element("div", { class: "kpi-date" }, row ? "" : `no data for ${dateTo}`));
  return box;
}

async function drawCard(card, body) {
  const spec = JSON.parse(card.dataset.chart);
  const columns = JSON.parse(card.dataset.columns);
  const rows = matching(objects(body), spec.match);
  const target = card.querySelector(".chart");
  if (spec.type === "kpi") {
    target.appendChild(kpis(spec, rows, body.filters.date_to));
  } else if (spec.type === "table") {
    const scroll = element("div", { class: "table-scroll" });
    scroll.appendChild(table(columns, rows));
    target.appendChild(scroll);
  } else if (rows.length === 0) {
    target.appendChild(element("p", { class: "empty" }, "No rows in the marts for these filters."));
  } else {
    const data = spec.type === "heatmap" ? heatmap(spec, rows)
      : spec.type === "errorbar" ? errorbars(spec, rows) : traces(spec, rows);
    const height = spec.type === "heatmap" ? Math.max(320, 26 * data[0].y.length + 110) : 300;
    const layout = {
      height, margin: { l: 70, r: 20, t: 10, b: 40 }, legend: { orientation: "h", y: -0.2 },
      barmode: spec.type === "stacked" ? "relative" : "group",
      xaxis: spec.categorical || spec.type === "errorbar" ? { type: "category" }
        : /date|period_start/.test(spec.x) ? { type: "date", tickformat: "%b %d" } : {},
      yaxis: PERCENT.test(spec.y) ? { tickformat: ".1%" } : {},
    };
    if (spec.type === "heatmap") layout.yaxis = { type: "category", autorange: "reversed" };
    await Plotly.newPlot(target, data, layout, { displaylogo: false, responsive: true });
  }
  if (columns.length && spec.type !== "table") {
    const details = element("details");
    details.appendChild(element("summary", {}, `Data (${rows.length} rows, from ${body.mart})`));
    const scroll = element("div", { class: "table-scroll" });
    scroll.appendChild(table(columns, rows));
    details.appendChild(scroll);
    card.appendChild(details);
  }
  card.dataset.state = "drawn";
}

// Started as soon as this script runs (in <head>), so the queries run while plotly.js is parsed.
const script = document.currentScript;
const requests = new Map(JSON.parse(script.dataset.panels).map((panel) => [
  panel,
  fetch(`/api/panels/${panel}?${script.dataset.query}`).then(async (response) => ({
    ok: response.ok, body: await response.json(),
  })),
]));

async function main() {
  const cards = [...document.querySelectorAll(".card[data-state='loading']")];
  await Promise.all(cards.map(async (card) => {
    try {
      const { ok, body } = await requests.get(card.dataset.panel);
      if (!ok) throw new Error(body.error);
      await drawCard(card, body);
    } catch (failure) {
      card.querySelector(".chart").appendChild(element("p", { class: "error" }, String(failure.message || failure)));
      card.dataset.state = "failed";
    }
  }));
  window.feedstarRenderedMs = performance.now();
  document.body.dataset.rendered = "yes";
}

// Leave empty filters out of the URL so that links stay short and readable.
document.addEventListener("submit", (event) => {
  for (const field of event.target.querySelectorAll("input, select")) {
    if (field.value === "") field.disabled = true;
  }
});

document.addEventListener("DOMContentLoaded", main);
