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
    if (spec.xLabels) {
      // one tick per version, labelled by version ("v3", or "v3 (12)" with edits so far)
      xAxis.splits = function () { return spec.x.filter(function (v) { return v !== null; }); };
      xAxis.values = function (u, splits) {
        return splits.map(function (v) { var i = spec.x.indexOf(v); return i < 0 ? "" : spec.xLabels[i]; });
      };
      xAxis.rotate = 0;
    }
    var yMarks = spec.yMarks || [];
    var xMarks = spec.xMarks || [];
    if (spec.yMin !== undefined || spec.yMax !== undefined || yMarks.length > 0) {
      scales.y = { range: function (u, min, max) {
        var lo = spec.yMin !== undefined ? Math.min(spec.yMin, min) : min;
        var hi = spec.yMax !== undefined ? Math.max(spec.yMax, max) : max;
        yMarks.forEach(function (m) { lo = Math.min(lo, m.value); hi = Math.max(hi, m.value); });
        if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
        var pad = spec.yMin === undefined ? (hi - lo) * 0.05 : 0;
        return [lo - pad, hi + pad];
      } };
    }
    if (xMarks.length > 0 && spec.x.length > 0) {
      // the alpha threshold may lie beyond the histogram's last edge: keep it in view
      var xLo = spec.x[0];
      var xHi = spec.xMax !== undefined ? spec.xMax : spec.x[spec.x.length - 1];
      xMarks.forEach(function (m) { xLo = Math.min(xLo, m.value); xHi = Math.max(xHi, m.value); });
      scales.x.range = function () { return [xLo, xHi]; };
    }
    var greyed = spec.greyed || [];
    function drawMarks(u) {
      var ctx = u.ctx;
      var box = u.bbox;
      ctx.save();
      greyed.forEach(function (i) {
        if (spec.x[i] === null || spec.x[i] === undefined) { return; }
        var cx = u.valToPos(spec.x[i], "x", true);
        var half = Math.max(6, box.width / Math.max(2, spec.x.length) / 3);
        ctx.fillStyle = "rgba(110,110,110,0.28)";
        ctx.fillRect(cx - half, box.top, 2 * half, box.height);
      });
      ctx.lineWidth = 2;
      ctx.font = Math.round(11 * (window.devicePixelRatio || 1)) + "px sans-serif";
      ctx.fillStyle = "#222";
      yMarks.forEach(function (m) {
        var y = u.valToPos(m.value, "y", true);
        ctx.strokeStyle = "#444";
        ctx.setLineDash(m.dash ? [6, 4] : []);
        ctx.beginPath(); ctx.moveTo(box.left, y); ctx.lineTo(box.left + box.width, y); ctx.stroke();
        ctx.fillText(m.label, box.left + 4, y - 4);
      });
      xMarks.forEach(function (m, k) {
        var x = u.valToPos(m.value, "x", true);
        ctx.strokeStyle = m.dash ? "#666" : "#b42318";
        ctx.setLineDash(m.dash ? [6, 4] : []);
        ctx.beginPath(); ctx.moveTo(x, box.top); ctx.lineTo(x, box.top + box.height); ctx.stroke();
        ctx.fillText(m.label, x + 4, box.top + 14 + 14 * k);
      });
      ctx.restore();
    }
    el.textContent = "";
    el._plot = new uPlot({
      width: width, height: Math.round(Math.min(320, Math.max(200, width * 0.45))),
      scales: scales, series: series,
      axes: [xAxis, { label: spec.yLabel }],
      legend: { live: false },
      hooks: { draw: [drawMarks] }
    }, data, el);
    el.setAttribute("data-drawn", String(data[0].length));
    el.setAttribute("data-marks", String(yMarks.length + xMarks.length));
    el.setAttribute("data-greyed", String(greyed.length));
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
