// Charts of the console: each <div class="chart" data-chart="bar|line" data-src="<id of a json_script>">.
(function () {
  function draw(el) {
    if (!window.echarts || el.dataset.drawn) return;
    var spec = JSON.parse(document.getElementById(el.dataset.src).textContent);
    var chart = echarts.init(el, null, { renderer: "svg" });
    var series = spec.series.map(function (s) {
      return { name: s.name, type: el.dataset.chart || "bar", data: s.data };
    });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 48 },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: spec.unit || "" },
      series: series,
    });
    el.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function drawAll() { document.querySelectorAll(".chart[data-src]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
