// Stats dashboard: charts from the JSON the page embeds (no inline scripts: CSP), retention heat.
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626"];

  function data() {
    var node = document.getElementById("stats-chart-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  // `partial`: the last period runs to today and is not over; its segment is dashed, not read as a fall.
  function lineChart(id, labels, series, names, partial) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return;
    var last = labels.length - 1;
    var datasets = Object.keys(series).map(function (key, i) {
      return { label: names[key] || key, data: series[key], borderColor: COLORS[i], backgroundColor: COLORS[i],
               tension: 0.25, cubicInterpolationMode: "monotone",  // no curve above or below the real points
               segment: { borderDash: function (ctx) { return partial && ctx.p1DataIndex === last ? [5, 4] : undefined; } },
               pointRadius: labels.length > 45 ? 0 : 2, borderWidth: 2 };
    });
    new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 8 } } },
                 plugins: { legend: { position: "bottom" } } }
    });
  }

  function depthChart(depths, label, axes) {
    var canvas = document.getElementById("chart-depths");
    if (!canvas || typeof Chart === "undefined") return;
    new Chart(canvas, {
      type: "bar",
      data: { labels: depths.map(function (d) { return d.depth; }),
              datasets: [{ label: label, data: depths.map(function (d) { return d.shares; }), backgroundColor: COLORS[0] }] },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: axes.shares } },
                           x: { title: { display: true, text: axes.depth } } } }
    });
  }

  function heat() {
    document.querySelectorAll("td.heat[data-heat]").forEach(function (cell) {
      var value = Math.min(100, parseFloat(cell.getAttribute("data-heat")) || 0);
      // Light enough for dark text at every value (white text on mid blue was hard to read).
      cell.style.backgroundColor = "rgba(37, 99, 235, " + (0.06 + value / 100 * 0.42).toFixed(2) + ")";
    });
  }

  // The scene filter offers only the chosen host's scenes (a scene on another host is refused).
  function scenesFollowHost() {
    var host = document.querySelector(".stats-filters select[name=host]");
    var scene = document.querySelector(".stats-filters select[name=scene]");
    if (!host || !scene) return;
    function narrow() {
      Array.prototype.forEach.call(scene.options, function (option) {
        var other = option.value && host.value && option.getAttribute("data-host") !== host.value;
        option.hidden = option.disabled = !!other;
        if (other && option.selected) scene.value = "";
      });
    }
    host.addEventListener("change", narrow);
    narrow();
  }

  document.addEventListener("DOMContentLoaded", function () {
    heat();
    scenesFollowHost();
    var d = data();
    if (!d) return;
    lineChart("chart-traffic", d.labels, d.traffic, d.names, d.partial);
    lineChart("chart-sharing", d.labels, d.sharing, d.names, d.partial);
    lineChart("chart-revenue", d.labels, { revenue: d.revenue }, d.names, d.partial);
    depthChart(d.depths, d.names.shares, d.axes);
  });
})();
