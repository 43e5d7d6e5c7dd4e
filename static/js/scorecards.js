/* Scorecard charts: every element with data-chart gets an ECharts line chart of the same figures its table
   shows. The tables are the truth; without JavaScript (or ECharts) the page reads the same. */
(function () {
  "use strict";
  function draw(element) {
    var data;
    try { data = JSON.parse(element.getAttribute("data-chart")); } catch (error) { return; }
    if (!data || !data.labels || !data.labels.length) { return; }
    element.classList.add("sc-chart-on");
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    var series = data.series.map(function (item) {
      return { name: item.name, type: item.rate ? "line" : "bar", yAxisIndex: item.rate ? 1 : 0,
               data: item.values, connectNulls: false, barMaxWidth: 18 };
    });
    chart.setOption({
      animation: false,
      // Drawn inside the chart: ECharts' HTML tooltip writes style="" attributes, which the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 48 },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 30 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function start() {
    if (!window.echarts) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
