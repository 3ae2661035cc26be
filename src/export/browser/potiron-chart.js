// Draws every <div class="potiron-chart"> from the figure JSON in the <script> it names and
// makes clicks follow a point's, tile's or cell's link (customdata[0]). Loaded after plotly.js; shared
// by the offline site (potiron report) and the dashboard (potiron serve).
// The charts follow the page's theme: transparent backgrounds, the text colour of the page
// (its --text, --muted and --border tokens), Okabe-Ito series colours (colour-blind safe);
// dark when <html data-theme="dark">, or when the system is and data-theme is not "light".
// They are drawn again when the theme changes. The mode bar keeps zoom, pan, reset and the
// image download.
'use strict'
;(function () {
  const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000']
  const CONFIG = {
    displaylogo: false,
    responsive: true,
    // Never the button that sends the chart to a remote host.
    showSendToCloud: false,
    modeBarButtonsToRemove: ['sendChartToCloud', 'lasso2d', 'select2d', 'autoScale2d', 'zoomIn2d', 'zoomOut2d', 'toggleSpikelines', 'hoverClosestCartesian', 'hoverCompareCartesian']
  }
  const root = document.documentElement
  const darkSystem = window.matchMedia('(prefers-color-scheme: dark)')

  function isDark () {
    const chosen = root.getAttribute('data-theme')
    return chosen === 'dark' || (chosen !== 'light' && darkSystem.matches)
  }
  function token (name, fallback) {
    const value = window.getComputedStyle(root).getPropertyValue(name).trim()
    return value === '' ? fallback : value
  }
  /** The figure's layout with the theme's colours (the figure's own settings kept). */
  function themed (figure) {
    const layout = figure.layout
    const dark = isDark()
    const text = token('--text', dark ? '#e6e9ee' : '#1b1f24')
    const grid = token('--border', dark ? '#2f3742' : '#d9dde3')
    const axis = function (a) { return Object.assign({ gridcolor: grid, linecolor: grid, zerolinecolor: grid }, a) }
    const out = Object.assign({}, layout, {
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: Object.assign({}, layout.font, { color: text }),
      colorway: dark ? OKABE_ITO.slice(0, -1).concat('#999999') : OKABE_ITO,
      modebar: { bgcolor: 'rgba(0,0,0,0)', color: token('--muted', dark ? '#9aa4b1' : '#5b6470'), activecolor: token('--accent', dark ? '#6cb0ff' : '#0a62c9') }
    })
    // Only a chart with axes gets their colours: a treemap or a map given xaxis.* would grow empty axes.
    if (figure.data.some(function (trace) { return trace.type !== 'treemap' && trace.type !== 'choropleth' })) {
      out.xaxis = axis(layout.xaxis)
      out.yaxis = axis(layout.yaxis)
    }
    // A map: land in the page's background colour (a card is --surface), borders in the grid's, no background of its own.
    if (layout.geo !== undefined) {
      out.geo = Object.assign({}, layout.geo, { bgcolor: 'rgba(0,0,0,0)', landcolor: token('--bg', dark ? '#111418' : '#ffffff'), countrycolor: grid, coastlinecolor: grid })
    }
    return out
  }

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
    return window.Plotly.newPlot(el, figure.data, themed(figure), CONFIG).then(function () {
      // A treemap tile click would zoom into the tile: follow the link instead (returning false stops the zoom).
      el.on('plotly_treemapclick', follow)
      el.on('plotly_click', function (event) { if (event.points[0].data.type !== 'treemap') follow(event) })
      el.dataset.ready = 'true'
      // Plotly follows the window's size only: a chart whose box changes (a table beside it that grows) is resized too.
      if (window.ResizeObserver !== undefined) new window.ResizeObserver(function () { window.Plotly.Plots.resize(el) }).observe(el)
    })
  }
  /** Every chart drawn again, from its JSON, in the theme now in force. */
  function redraw () {
    document.querySelectorAll('div.potiron-chart[data-ready="true"]').forEach(function (el) {
      const figure = JSON.parse(document.getElementById(el.dataset.figure).textContent)
      el.dataset.ready = 'false'
      window.Plotly.react(el, figure.data, themed(figure), CONFIG).then(function () { el.dataset.ready = 'true' })
    })
  }
  document.querySelectorAll('div.potiron-chart').forEach(draw)
  darkSystem.addEventListener('change', redraw)
  new window.MutationObserver(redraw).observe(root, { attributes: true, attributeFilter: ['data-theme'] })
})()
