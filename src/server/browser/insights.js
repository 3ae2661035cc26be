// The overview's insights, fetched after the page is shown (the server-rendered page stays
// cheap): a sparkline in each `<td class="spark">` of a row `<tr data-value>` inside
// `<section data-field>`, and what is new in each field's top in `<div class="new-today"
// data-field>`. The page's `<body>` names the sensor, the day and the range (data-sensor,
// data-day, data-from, data-to). Sparklines are small inline SVGs, not Plotly: dozens stay cheap.
// Everything from the data goes in as text (textContent, attributes), never as markup.
'use strict'
;(function () {
  const script = document.currentScript
  const body = document.body
  const sensor = body.dataset.sensor
  const day = body.dataset.day
  if (!sensor || !day || script === null) return
  // The dashboard's base path: this script is at <base>/assets/insights.js.
  const base = new URL(script.src).pathname.replace(/\/assets\/insights\.js$/, '')
  const query = new URLSearchParams(window.location.search)
  const SVG = 'http://www.w3.org/2000/svg'
  const WIDTH = 96
  const HEIGHT = 22

  function params (extra) {
    const p = new URLSearchParams({ sensor, day })
    if (query.get('notset') === '1') p.set('notset', '1')
    for (const name in extra) if (extra[name]) p.set(name, extra[name])
    return p.toString()
  }

  function getJson (path, extra) {
    return fetch(base + path + '?' + params(extra), { headers: { Accept: 'application/json' } }).then(function (res) {
      if (!res.ok) throw new Error(path + ': HTTP ' + res.status)
      return res.json()
    })
  }

  function number (n) {
    return n.toLocaleString('en-US')
  }

  /** The sparkline of `counts` (null: a day without data, a gap) as an SVG with its text alternative. */
  function sparkline (field, value, days, counts) {
    const svg = document.createElementNS(SVG, 'svg')
    svg.setAttribute('viewBox', '0 0 ' + WIDTH + ' ' + HEIGHT)
    svg.setAttribute('width', String(WIDTH))
    svg.setAttribute('height', String(HEIGHT))
    svg.setAttribute('role', 'img')
    svg.setAttribute('class', 'sparkline')
    const known = counts.filter(function (c) { return c !== null })
    const max = known.length === 0 ? 0 : Math.max.apply(null, known)
    const min = known.length === 0 ? 0 : Math.min.apply(null, known)
    const gaps = counts.length - known.length
    const title = document.createElementNS(SVG, 'title')
    title.textContent = field + ' ' + value + ', ' + days[0] + ' to ' + days[days.length - 1] + ': ' +
      (known.length === 0 ? 'no data' : 'min ' + number(min) + ', max ' + number(max) + ' packets a day') +
      (gaps === 0 ? '' : ' (' + gaps + (gaps === 1 ? ' day' : ' days') + ' without data)')
    svg.appendChild(title)
    const step = counts.length > 1 ? (WIDTH - 4) / (counts.length - 1) : 0
    const x = function (i) { return (2 + i * step).toFixed(1) }
    const y = function (c) { return (HEIGHT - 2 - (max === 0 ? 0 : c / max * (HEIGHT - 4))).toFixed(1) }
    // One polyline per run of days with data: a day without data breaks the line.
    let run = []
    const flush = function () {
      if (run.length === 1) {
        const dot = document.createElementNS(SVG, 'circle')
        dot.setAttribute('cx', run[0][0])
        dot.setAttribute('cy', run[0][1])
        dot.setAttribute('r', '2')
        dot.style.fill = 'var(--accent, #0a62c9)'
        svg.appendChild(dot)
      } else if (run.length > 1) {
        const line = document.createElementNS(SVG, 'polyline')
        line.setAttribute('points', run.map(function (p) { return p.join(',') }).join(' '))
        line.setAttribute('fill', 'none')
        line.setAttribute('stroke-width', '1.5')
        line.style.stroke = 'var(--accent, #0a62c9)'
        svg.appendChild(line)
      }
      run = []
    }
    counts.forEach(function (c, i) {
      if (c === null) flush()
      else run.push([x(i), y(c)])
    })
    flush()
    return svg
  }

  function sectionOf (field) {
    const found = document.querySelectorAll('section[data-field]')
    for (let i = 0; i < found.length; i++) if (found[i].dataset.field === field) return found[i]
    return null
  }

  const wantsSparks = document.querySelector('section[data-field] tr[data-value] td.spark') !== null
  if (wantsSparks) {
    getJson('/api/sparklines', { from: body.dataset.from, to: body.dataset.to }).then(function (answer) {
      answer.fields.forEach(function (f) {
        const section = sectionOf(f.field)
        if (section === null) return
        const byValue = new Map(f.values.map(function (v) { return [v.value, v.counts] }))
        section.querySelectorAll('tr[data-value]').forEach(function (tr) {
          const counts = byValue.get(tr.dataset.value)
          const td = tr.querySelector('td.spark')
          if (counts === undefined || td === null) return
          td.replaceChildren(sparkline(f.field, tr.dataset.value, answer.days, counts))
        })
      })
      body.dataset.sparklines = 'ready'
    }).catch(function (error) {
      body.dataset.sparklines = 'failed'
      console.warn('potiron: sparklines not shown: ' + error.message)
    })
  }

  const newBoxes = document.querySelectorAll('div.new-today[data-field]')
  if (newBoxes.length > 0) {
    getJson('/api/new', { newdays: body.dataset.newdays || query.get('newdays') }).then(function (answer) {
      const byField = new Map(answer.fields.map(function (f) { return [f.field, f.values] }))
      const previous = answer.previousDays.length
      newBoxes.forEach(function (box) {
        const values = byField.get(box.dataset.field) || []
        box.replaceChildren()
        if (values.length === 0) return
        box.append('New today: ')
        values.forEach(function (v, i) {
          if (i > 0) box.append(', ')
          const link = document.createElement('a')
          link.href = base + '/evolution?' + new URLSearchParams({ sensor, field: box.dataset.field, value: v.value, until: answer.day }).toString()
          link.textContent = v.value
          if (v.label) link.title = v.label
          box.append(link)
        })
        box.append(' (absent the ' + (previous === 1 ? 'previous day' : previous + ' previous days') + ' with data)')
      })
      body.dataset.newToday = 'ready'
    }).catch(function (error) {
      body.dataset.newToday = 'failed'
      console.warn('potiron: new values not shown: ' + error.message)
    })
  }
})()
