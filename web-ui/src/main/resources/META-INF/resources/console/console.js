/*
 * Hookline console charts: draws every [data-chart] element with uPlot from the JSON spec in the
 * <script type="application/json"> it names ({kind: line|bars, xLabel, yLabel, x, series}).
 * No inline script (the console's CSP forbids it); runs on load and after htmx swaps.
 */
(function () {
  "use strict";
  var COLORS = ["#0b5cad", "#c2410c", "#1a7f37", "#8250df", "#b42318", "#9a6700", "#0e7490"];

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || typeof uPlot === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var width = Math.max(240, el.clientWidth || 600);
    var bars = spec.kind === "bars";
    var series = [{ label: spec.xLabel }];
    var data = [spec.x];
    spec.series.forEach(function (s, i) {
      var color = COLORS[i % COLORS.length];
      var one = { label: s.label, stroke: color, width: 2, spanGaps: false, points: { show: !bars, size: 6 } };
      if (bars) {
        one.fill = color + "88";
        one.paths = uPlot.paths.bars({ size: [0.8 / spec.series.length, 60], align: 1, gap: 1 });
      }
      series.push(one);
      data.push(s.values);
    });
    var scales = { x: { time: false } };
    if (spec.xMax !== undefined && spec.x.length > 0) {
      // bars start at their bin's left edge: keep room for the last bin up to the last edge
      scales.x.range = function () { return [spec.x[0], spec.xMax]; };
    }
    var xAxis = { label: spec.xLabel };
    if (spec.xInteger) {
      xAxis.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
    }
    if (spec.yMin !== undefined || spec.yMax !== undefined) {
      scales.y = { range: function (u, min, max) {
        return [spec.yMin !== undefined ? Math.min(spec.yMin, min) : min,
                spec.yMax !== undefined ? Math.max(spec.yMax, max) : max];
      } };
    }
    el.textContent = "";
    el._plot = new uPlot({
      width: width, height: Math.round(Math.min(320, Math.max(200, width * 0.45))),
      scales: scales, series: series,
      axes: [xAxis, { label: spec.yLabel }],
      legend: { live: false }
    }, data, el);
    el.setAttribute("data-drawn", String(data[0].length));
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  var resizeTimer;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      document.querySelectorAll("[data-chart]").forEach(function (el) {
        if (el._plot) {
          el._plot.setSize({ width: Math.max(240, el.clientWidth), height: el._plot.height });
        }
      });
    }, 150);
  });
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
})();
