// Draws every <div class="potiron-chart"> from the figure JSON in the <script> it names and
// makes clicks follow a point's, tile's or cell's link (customdata[0]). Loaded after plotly.js;
// shared by the offline site (potiron report) and the dashboard (potiron serve). Charts follow
// the page's theme: transparent backgrounds, text and grid in the page's colours (its CSS custom
// properties --text and --border, when it has them), the Okabe-Ito series colours (colour-blind
// safe); redrawn in the new colours on 'potiron-theme' (potiron-theme.js).
'use strict'
;(function () {
  const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000']
  // The mode bar keeps what matters: download as image, reset, pan and box zoom.
  const CONFIG = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ['lasso2d', 'select2d', 'autoScale2d', 'zoomIn2d', 'zoomOut2d', 'toggleSpikelines', 'hoverClosestCartesian', 'hoverCompareCartesian']
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
  /** The layout attributes that follow the theme, as Plotly.relayout takes them. */
  function themed () {
    const style = window.getComputedStyle(document.documentElement)
    const text = style.getPropertyValue('--text').trim()
    const grid = style.getPropertyValue('--border').trim()
    const dark = style.getPropertyValue('color-scheme').trim() === 'dark'
    const update = { paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: 'rgba(0,0,0,0)', colorway: OKABE_ITO.map(function (c) { return dark && c === '#000000' ? '#999999' : c }) }
    if (text !== '') update['font.color'] = text
    if (grid !== '') {
      ['xaxis', 'yaxis'].forEach(function (axis) {
        update[axis + '.gridcolor'] = grid
        update[axis + '.zerolinecolor'] = grid
        update[axis + '.linecolor'] = grid
      })
    }
    return update
  }
  /** `layout` with the relayout-style `update` applied (`font.color` sets layout.font.color). */
  function merged (layout, update) {
    const out = Object.assign({}, layout)
    Object.keys(update).forEach(function (key) {
      const [head, tail] = key.split('.')
      if (tail === undefined) out[head] = update[key]
      else if (head === 'font' || out[head] !== undefined) out[head] = Object.assign({}, out[head], { [tail]: update[key] })
    })
    return out
  }
  const drawn = []
  function draw (el) {
    const figure = JSON.parse(document.getElementById(el.dataset.figure).textContent)
    return window.Plotly.newPlot(el, figure.data, merged(figure.layout, themed()), CONFIG).then(function () {
      // A treemap tile click would zoom into the tile: follow the link instead (returning false stops the zoom).
      el.on('plotly_treemapclick', follow)
      el.on('plotly_click', function (event) { if (event.points[0].data.type !== 'treemap') follow(event) })
      drawn.push(el)
      el.dataset.ready = 'true'
    })
  }
  document.addEventListener('potiron-theme', function () {
    const update = themed()
    drawn.forEach(function (el) {
      // Only the axes a chart has: a treemap given xaxis.* would grow axes.
      const own = {}
      Object.keys(update).forEach(function (key) {
        const head = key.split('.')[0]
        if ((head !== 'xaxis' && head !== 'yaxis') || (el.layout && el.layout[head] !== undefined && el.data.some(function (t) { return t.type !== 'treemap' }))) own[key] = update[key]
      })
      window.Plotly.relayout(el, own)
    })
  })
  document.querySelectorAll('div.potiron-chart').forEach(draw)
})()
