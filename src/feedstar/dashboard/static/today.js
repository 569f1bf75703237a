// The Today page: fetch /api/today and redraw every metric's chart, every minute, no reload.
(function () {
  const METRICS = ["active_users", "feed_users", "feed_views", "likes", "ctr", "messages", "senders"];
  const charts = {};
  const params = new URLSearchParams(window.location.search);
  const dateInput = document.getElementById("today-date");
  const sliceSelect = document.getElementById("today-slice");
  const status = document.getElementById("today-status");
  const cards = document.getElementById("today-cards");
  const label = (slot) => String(Math.floor(slot / 4)).padStart(2, "0") + ":" + String((slot % 4) * 15).padStart(2, "0");
  const slots = Array.from({ length: 96 }, (_, i) => label(i));
  const series = (pairs) => { const out = new Array(96).fill(null); pairs.forEach(([s, v]) => { out[s] = v; }); return out; };

  METRICS.forEach((metric) => {
    const card = document.createElement("div");
    card.className = "today-card";
    card.innerHTML = `<h3>${metric}</h3><canvas id="today-${metric}" height="170"></canvas><ul class="today-anomalies" id="today-${metric}-anomalies"></ul>`;
    cards.appendChild(card);
  });

  function draw(metric, m) {
    const lower = series(m.band.map(([s, lo]) => [s, lo]));
    const upper = series(m.band.map(([s, , hi]) => [s, hi]));
    const marked = series(m.anomalies.map(([s, v]) => [s, v]));
    const datasets = [
      { label: "band low", data: lower, borderColor: "rgba(0,0,0,0)", pointRadius: 0, fill: false },
      { label: "expected band", data: upper, borderColor: "rgba(0,0,0,0)", backgroundColor: "rgba(158,202,225,0.45)", pointRadius: 0, fill: "-1" },
      { label: "same day last week", data: series(m.last_week), borderColor: "#999", borderDash: [5, 4], pointRadius: 0, borderWidth: 1.2 },
      { label: "today", data: series(m.today), borderColor: "#d62728", pointRadius: 0, borderWidth: 2 },
      { label: "anomaly", data: marked, borderColor: "#000", backgroundColor: "rgba(0,0,0,0)", pointRadius: 6, showLine: false },
    ];
    if (charts[metric]) {
      charts[metric].data.datasets.forEach((d, i) => { d.data = datasets[i].data; });
      charts[metric].update("none");
    } else {
      charts[metric] = new Chart(document.getElementById(`today-${metric}`), {
        type: "line", data: { labels: slots, datasets },
        options: { animation: false, spanGaps: false, plugins: { legend: { labels: { filter: (item) => item.text !== "band low" } } },
                   scales: { x: { ticks: { maxTicksLimit: 12 } } } },
      });
    }
    const list = document.getElementById(`today-${metric}-anomalies`);
    list.innerHTML = "";
    m.anomalies.forEach(([s, , rules, reason]) => {
      const item = document.createElement("li");
      item.textContent = `${label(s)} ${rules}: ${reason}`;
      list.appendChild(item);
    });
  }

  async function refresh() {
    const query = new URLSearchParams();
    if (dateInput.value) query.set("date", dateInput.value);
    query.set("slice", sliceSelect.value || "all");
    try {
      const response = await fetch("/api/today?" + query.toString());
      const body = await response.json();
      if (!response.ok) { status.textContent = body.error; return; }
      if (!dateInput.value) dateInput.value = body.date;
      const current = sliceSelect.value;
      sliceSelect.innerHTML = body.slices.map((s) => `<option value="${s}">${s}</option>`).join("");
      sliceSelect.value = body.slices.includes(current) ? current : "all";
      METRICS.forEach((metric) => draw(metric, body.metrics[metric]));
      status.textContent = `${body.date} vs ${body.last_week}, updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      status.textContent = "cannot load: " + error;
    }
  }

  if (params.get("date")) dateInput.value = params.get("date");
  if (params.get("slice")) sliceSelect.innerHTML = `<option value="${params.get("slice")}">${params.get("slice")}</option>`;
  dateInput.addEventListener("change", refresh);
  sliceSelect.addEventListener("change", refresh);
  refresh();
  setInterval(refresh, 60000);
})();
