/* Draws the trend charts of the insights page from the JSON the page embeds (Chart.js, served locally). */
(function () {
  var source = document.getElementById("insights-trends");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var options = {responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: {legend: {position: "bottom"}}, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}};
  new Chart(document.getElementById("chart-months"), {
    type: "line",
    data: {labels: data.months, datasets: [
      {label: data.labels.members_joined, data: data.members_joined, borderColor: "#c62828", backgroundColor: "#c62828", tension: 0.2},
      {label: data.labels.participations, data: data.participations, borderColor: "#1565c0", backgroundColor: "#1565c0", tension: 0.2}
    ]},
    options: options
  });
  if (!document.getElementById("chart-categories")) return;
  var palette = ["#c62828", "#1565c0", "#2e7d32", "#f9a825", "#6a1b9a", "#00838f", "#5d4037"];
  new Chart(document.getElementById("chart-categories"), {
    type: "doughnut",
    data: {labels: data.categories.map(function (c) { return c.label; }),
           datasets: [{data: data.categories.map(function (c) { return c.activities; }),
                       backgroundColor: palette}]},
    options: {responsive: true, maintainAspectRatio: false, animation: false, plugins: {legend: {position: "bottom"}}}
  });
})();
