// The cockpit's charts: each element's data carries the URL of the list of the tasks it counts
// (built on the server, luoshi/cockpit/charts.py); a click on it opens that list.
(function () {
  "use strict";

  function barHeight(n) {
    return Math.max(180, 60 + n * 34);
  }

  function pie(spec) {
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{
        type: "pie",
        // No legend and a fixed start: the slices sit where the option says (red first,
        // clockwise from twelve o'clock).
        startAngle: 90,
        clockwise: true,
        radius: ["30%", "62%"],
        center: ["50%", "52%"],
        avoidLabelOverlap: true,
        label: { formatter: "{b}\n{c}" },
        data: spec.data.map(function (d) {
          return { name: d.name, value: d.value, url: d.url, itemStyle: { color: d.color } };
        }),
      }],
    };
  }

  function stacked(spec, horizontal) {
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      inverse: horizontal,
      axisLabel: { width: 110, overflow: "truncate" },
    };
    var valueAxis = { type: "value", minInterval: 1 };
    return {
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (items) {
          var i = items[0].dataIndex;
          var lines = [items[0].name];
          items.forEach(function (it) { lines.push(it.marker + it.seriesName + ": " + it.value); });
          if (spec.rates && spec.rates[i] !== null) lines.push(spec.rates[i] + "%");
          return lines.join("<br>");
        },
      },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: spec.series.map(function (s) {
        return {
          type: "bar",
          name: s.name,
          stack: "all",
          itemStyle: { color: s.color },
          barMaxWidth: 28,
          data: s.data.map(function (d) { return { value: d.value, url: d.url }; }),
        };
      }),
    };
  }

  function hbar(spec) {
    var s = spec.series[0];
    return {
      tooltip: { trigger: "item", formatter: spec.percent ? "{b}: {c}%" : "{b}: {c}" },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: spec.categories, axisLabel: { width: 110, overflow: "truncate" } },
      series: [{
        type: "bar",
        itemStyle: { color: s.color },
        barMaxWidth: 22,
        label: { show: true, position: "right", formatter: spec.percent ? "{c}%" : "{c}" },
        data: s.data.map(function (d) { return { value: d.value, url: d.url }; }),
      }],
    };
  }

  function option(id, spec) {
    if (spec.kind === "pie") return pie(spec);
    if (spec.kind === "hbar") return hbar(spec);
    return stacked(spec, id !== "chart-trend");
  }

  function height(id, spec) {
    if (spec.kind === "pie") return 280;
    if (id === "chart-trend") return 260;
    return barHeight(spec.categories.length);
  }

  function start() {
    var source = document.getElementById("cockpit-charts");
    if (!source || typeof echarts === "undefined") return;
    var specs = JSON.parse(source.textContent);
    var charts = {};
    Object.keys(specs).forEach(function (id) {
      var el = document.getElementById(id);
      var spec = specs[id];
      if (!el) return;
      var empty = spec.kind === "pie" ? !spec.data.length : !spec.categories.length;
      if (empty) { el.style.display = "none"; return; }
      el.style.height = height(id, spec) + "px";
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(id, spec));
      chart.on("click", function (params) {
        if (params.data && params.data.url) window.location.assign(params.data.url);
      });
      charts[id] = chart;
    });
    // For the browser test and for anyone scripting the page: the live chart instances.
    window.cockpitCharts = charts;
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        Object.keys(charts).forEach(function (id) { charts[id].resize(); });
      }, 100);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
