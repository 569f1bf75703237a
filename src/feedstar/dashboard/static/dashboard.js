// Draws each card of a page from its panel's JSON rows.  Presentation only: rows are
// reshaped into Chart.js datasets and formatted; no metric is computed here.
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

// Chart.js is drawn on category axes with the API's own values as labels; only the tick
// and tooltip texts are formatted (dates short, ratios as percents), so no date adapter.
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// ColorBrewer "Blues", light (0) to dark (1): the retention heatmap's colour scale.
const BLUES = [[247, 251, 255], [222, 235, 247], [198, 219, 239], [158, 202, 225], [107, 174, 214],
               [66, 146, 198], [33, 113, 181], [8, 81, 156], [8, 48, 107]];

function shortDate(value) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
  return parts ? `${MONTHS[Number(parts[2]) - 1]} ${parts[3]}` : String(value);
}

function percentTick(value) {
  return (value * 100).toFixed(1) + "%";
}

function blue(value) {
  const at = Math.min(Math.max(value, 0), 1) * (BLUES.length - 1);
  const low = BLUES[Math.floor(at)];
  const high = BLUES[Math.ceil(at)];
  const mix = low.map((c, i) => Math.round(c + (high[i] - c) * (at - Math.floor(at))));
  return `rgb(${mix.join(",")})`;
}

function unique(values) {
  return [...new Set(values)];
}

function xLabels(spec, rows) {
  const labels = unique(rows.map((r) => r[spec.x]));
  return spec.categorical ? labels : labels.sort();
}

function dataset(name, column, index, values, negative = false) {
  const color = COLORS[index % COLORS.length];
  return { label: name, column, negative, data: values, borderColor: color, backgroundColor: color };
}

// One dataset per y column, or per value of the `series` column; values aligned with `labels`.
function traces(spec, rows, labels) {
  if (spec.series) {
    const groups = new Map();
    for (const row of rows) {
      const key = String(row[spec.series]);
      if (!groups.has(key)) groups.set(key, new Map());
      groups.get(key).set(row[spec.x], row[spec.y[0]]);
    }
    return [...groups].map(([key, group], i) => dataset(key, spec.y[0], i,
                                                        labels.map((x) => (group.has(x) ? group.get(x) : null))));
  }
  const byX = new Map(rows.map((r) => [r[spec.x], r]));
  const negative = new Set(spec.negative || []);
  return spec.y.map((column, i) => dataset(label(column), column, i, labels.map((x) => {
    const value = byX.has(x) ? byX.get(x)[column] : null;
    // Dormant users are drawn below zero (presentation); the table keeps the mart's value.
    return negative.has(column) && value !== null ? -value : value;
  }), negative.has(column)));
}

function lineOrBar(spec, rows) {
  const labels = xLabels(spec, rows);
  const datasets = traces(spec, rows, labels);
  const dates = /date|period_start/.test(spec.x);
  const percent = PERCENT.test(spec.y);
  const tick = function (value) {
    const shown = this.getLabelForValue(value);
    return dates ? shortDate(shown) : shown;
  };
  return {
    type: spec.type === "line" ? "line" : "bar",
    data: { labels, datasets },
    options: {
      interaction: { mode: "index", intersect: false },
      datasets: { line: { spanGaps: true, pointRadius: 2, borderWidth: 2 } },
      scales: {
        x: { stacked: spec.type === "stacked", ticks: { callback: tick } },
        y: { stacked: spec.type === "stacked", ticks: percent ? { callback: percentTick } : {} },
      },
      plugins: {
        legend: { display: datasets.length > 1, position: "bottom" },
        tooltip: { callbacks: {
          title: (items) => (dates ? shortDate(items[0].label) : items[0].label),
          label: (item) => {
            const value = item.dataset.negative && item.raw !== null ? -item.raw : item.raw;
            return `${item.dataset.label}: ${format(item.dataset.column, value)}`;
          },
        } },
      },
    },
  };
}

function heatmap(spec, rows) {
  const ys = unique(rows.map((r) => String(r[spec.y])));
  const xs = unique(rows.map((r) => r[spec.x])).sort((a, b) => a - b).map(String);
  const data = rows.map((r) => ({ x: String(r[spec.x]), y: String(r[spec.y]), v: r[spec.z] }));
  return {
    type: "matrix",
    data: { datasets: [{
      label: label(spec.z), column: spec.z, data,
      backgroundColor: (context) => blue(context.raw ? context.raw.v : 0),
      borderWidth: 0,
      width: ({ chart }) => (chart.chartArea || {}).width / xs.length - 1,
      height: ({ chart }) => (chart.chartArea || {}).height / ys.length - 1,
    }] },
    options: {
      scales: {
        x: { type: "category", labels: xs, offset: true, grid: { display: false },
             title: { display: true, text: label(spec.x) } },
        // the matrix chart reverses y by default; not reversed, the first (oldest) cohort is on top
        y: { type: "category", labels: ys, offset: true, reverse: false, grid: { display: false } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: {
          title: (items) => `cohort ${items[0].raw.y}`,
          label: (item) => `day ${item.raw.x}: ${format(spec.z, item.raw.v)}`,
        } },
      },
    },
  };
}

// The heatmap's colour key (Chart.js has no colour bar): the scale as a CSS gradient.
function colorKey(column) {
  const key = element("div", { class: "color-key" });
  key.appendChild(element("span", {}, format(column, 0)));
  const gradient = element("span", { class: "gradient" });
  gradient.style.background = `linear-gradient(to right, ${BLUES.map((c) => `rgb(${c.join(",")})`).join(", ")})`;
  key.appendChild(gradient);
  key.appendChild(element("span", {}, format(column, 1)));
  return key;
}

function errorbars(spec, rows) {
  return {
    type: "barWithErrorBars",
    data: {
      labels: rows.map((r) => String(r[spec.x])),
      datasets: [{
        ...dataset(label(spec.y), spec.y, 0, rows.map((r) => ({ y: r[spec.y], yMin: r[spec.low], yMax: r[spec.high] }))),
        errorBarColor: "#1d2330", errorBarWhiskerColor: "#1d2330",
      }],
    },
    options: {
      scales: { y: { ticks: PERCENT.test(spec.y) ? { callback: percentTick } : {} } },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: {
          label: (item) => `${item.dataset.label}: ${format(spec.y, item.raw.y)} ` +
            `(${label(spec.low)} ${format(spec.low, item.raw.yMin)}, ${label(spec.high)} ${format(spec.high, item.raw.yMax)})`,
        } },
      },
    },
  };
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

function drawCard(card, body) {
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
    const config = spec.type === "heatmap" ? heatmap(spec, rows)
      : spec.type === "errorbar" ? errorbars(spec, rows) : lineOrBar(spec, rows);
    const cohorts = spec.type === "heatmap" ? config.options.scales.y.labels.length : 0;
    const box = element("div", { class: "chart-box" });
    box.style.height = `${spec.type === "heatmap" ? Math.max(320, 26 * cohorts + 110) : 300}px`;
    const canvas = element("canvas", { role: "img", "aria-label": card.querySelector("h2").textContent });
    box.appendChild(canvas);
    target.appendChild(box);
    // Fixed height, no animation: the chart is drawn once, synchronously, here.
    config.options = { ...config.options, animation: false, responsive: true, maintainAspectRatio: false };
    new Chart(canvas, config);
    if (spec.type === "heatmap") target.appendChild(colorKey(spec.z));
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

// Started as soon as this script runs (in <head>), so the queries run while Chart.js is parsed.
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
      drawCard(card, body);
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
