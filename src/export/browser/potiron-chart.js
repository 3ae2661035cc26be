// Draws every <div class="potiron-chart"> from the figure JSON in the <script> it names and
// makes clicks follow a point's or tile's link (customdata[0]). Loaded after plotly.js; shared
// by the offline site (potiron report) and the dashboard (potiron serve).
'use strict'
;(function () {
  function linkOf (event) {
    const point = event && event.points && event.points[0]
    const data = point && point.customdata
    return Array.isArray(data) && typeof data[0] === 'string' ? data[0] : null
  }
  function follow (event) {
    const link = linkOf(event)
    if (link !== null) window.location.href = link
    return link === null
  }
  function draw (el) {
    const figure = JSON.parse(document.getElementById(el.dataset.figure).textContent)
    return window.Plotly.newPlot(el, figure.data, figure.layout, { displaylogo: false, responsive: true }).then(function () {
      // A treemap tile click would zoom into the tile: follow the link instead (returning false stops the zoom).
      el.on('plotly_treemapclick', follow)
      el.on('plotly_click', function (event) { if (event.points[0].data.type !== 'treemap') follow(event) })
      el.dataset.ready = 'true'
    })
  }
  document.querySelectorAll('div.potiron-chart').forEach(draw)
})()
