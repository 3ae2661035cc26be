/**
 * Plotly figures (data + layout, plain JSON) for potiron's two charts, shared by the offline
 * site and the dashboard: a timeline (one line per value, a point per day with data) and the
 * top values of a day or a month (a treemap: area proportional to count). Each point or tile
 * carries the address it opens when clicked in `customdata[0]`; src/export/browser/ does the rest.
 *
 * Timelines tell the truth about days: a day without any capture is a gap in the line (a null
 * point), never a 0; the axis is a date axis naming months over the whole period asked, even
 * for one day (Plotly's own range of a single date is ±1 ms); lines of equal counts stay
 * apart by their markers and dashes.
 */

export interface Figure {
  data: Array<Record<string, unknown>>
  layout: Record<string, unknown>
}

export interface TimelineLine {
  /** Legend name: `22`, `22-tcp`. */
  name: string
  /** Human label: `ssh`; may be ''. */
  label: string
  /** Days, YYYY-MM-DD, ascending: days with data (a day left out is drawn as a gap), or null counts for those without. */
  x: readonly string[]
  y: ReadonlyArray<number | null>
  /** Page each point opens (null: none). */
  links: ReadonlyArray<string | null>
}

export interface TopItem {
  value: string
  label: string
  count: number
  /** Page the tile opens (null: none). */
  link: string | null
}

/**
 * Plotly reads `<b>`, `<a href>` and entities in its texts as markup: values come from captures,
 * so they are escaped to show as written.
 */
export function plotlyText (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The days a timeline covers, YYYY-MM-DD: its axis spans them whatever days have data. */
export interface Period { first: string, last: string }

const DAY_MS = 86_400_000
/** Up to this many days, a tick per day (one day alone stays a day); beyond, Plotly spaces them, each spacing with its format (tickformatstops: a time only when zoomed into hours). */
const DAILY_TICKS = 14
/** Lines of equal counts lie on each other: each gets its own marker (nested sizes) and dash. */
const SYMBOLS = ['circle', 'square', 'diamond', 'triangle-up', 'x', 'triangle-down', 'cross', 'star'] as const
const DASHES = ['solid', 'dot', 'dash', 'dashdot', 'longdash'] as const

/** `YYYY-MM-DD` `n` days after `day`. */
function dayAfter (day: string, n = 1): string {
  return new Date(Date.parse(day) + n * DAY_MS).toISOString().slice(0, 10)
}

/** The line's points with a null one on the first missing day of each run of days without data, so the line breaks there. */
function withGaps (line: TimelineLine): { x: string[], y: Array<number | null>, links: Array<string | null> } {
  const out: { x: string[], y: Array<number | null>, links: Array<string | null> } = { x: [], y: [], links: [] }
  // Days as numbers, parsed once each: a page draws thousands of points (bench:serve).
  let previous = Number.NaN
  line.x.forEach((day, i) => {
    const at = Date.parse(day)
    if (at - previous > DAY_MS && out.y[out.y.length - 1] !== null) {
      out.x.push(dayAfter(out.x[out.x.length - 1]!))
      out.y.push(null)
      out.links.push(null)
    }
    previous = at
    out.x.push(day)
    out.y.push(line.y[i] ?? null)
    out.links.push(line.links[i] ?? null)
  })
  return out
}

/** A date axis over `period` (half a day of margin each side), ticks naming months. */
function dateAxis (period: Period): Record<string, unknown> {
  const days = (Date.parse(period.last) - Date.parse(period.first)) / DAY_MS + 1
  return {
    title: { text: 'Day' },
    type: 'date',
    range: [`${dayAfter(period.first, -1)} 12:00`, `${period.last} 12:00`],
    tickformat: '%b %-d',
    hoverformat: '%Y-%m-%d',
    ...(days <= DAILY_TICKS
      ? { dtick: DAY_MS, tick0: period.first }
      : {
          tickformatstops: [
            { dtickrange: [null, DAY_MS], value: '%b %-d %H:%M' },
            { dtickrange: [DAY_MS, 'M1'], value: '%b %-d' },
            { dtickrange: ['M1', 'M12'], value: '%b %Y' },
            { dtickrange: ['M12', null], value: '%Y' }
          ]
        })
  }
}

export function timelineFigure (title: string, lines: readonly TimelineLine[], period: Period): Figure {
  return {
    data: lines.map((line, i) => {
      const { x, y, links } = withGaps(line)
      return {
        type: 'scatter',
        mode: 'lines+markers',
        name: plotlyText(line.label === '' ? line.name : `${line.name}, ${line.label}`),
        x,
        y,
        marker: { symbol: SYMBOLS[i % SYMBOLS.length], size: Math.max(5, 11 - 2 * i) },
        line: { dash: DASHES[i % DASHES.length] },
        customdata: links.map(link => [link]),
        // The trace's name, not the value pasted into the template: a value could hold `%{...}`.
        hovertemplate: '%{fullData.name}<br>%{x}: %{y:,} packets<extra></extra>'
      }
    }),
    layout: {
      title: { text: plotlyText(title) },
      xaxis: dateAxis(period),
      yaxis: { title: { text: 'Packets' }, rangemode: 'tozero', tickformat: ',d' },
      hovermode: 'closest',
      // Plotly hides the legend of a single line: its name is said all the same.
      showlegend: true,
      margin: { t: 60 }
    }
  }
}

export interface BucketLine {
  /** Legend name and human label, as TimelineLine's. */
  name: string
  label: string
  /** The line's packets in each point (BucketPoint), in order. */
  y: readonly number[]
}

export interface BucketPoint {
  /** Where the point sits: the first day of its whole week or month, YYYY-MM-DD. */
  x: string
  /** What its hover says it covers: `2024-W09, 2024-03-01 to 2024-03-03 (partial week: 3 of 7 days), 3 days with data`. */
  text: string
  /** A week or month cut by the period: an open marker. */
  partial: boolean
}

/**
 * A long timeline of weekly or monthly sums: a point per week or month at its first day, every
 * point a sum (a day without data adds 0, never a gap), its hover saying which days it covers and
 * how many had data; a partial point (the period cuts its week or month) is an open marker.
 */
export function bucketFigure (title: string, unit: 'Week' | 'Month', lines: readonly BucketLine[], points: readonly BucketPoint[], period: Period): Figure {
  const x = points.map(p => p.x)
  // The hover says the point's days itself (customdata[1]): no date format of the axis.
  const { hoverformat: _hoverformat, ...xaxis } = dateAxis({ first: x[0] ?? period.first, last: period.last })
  const customdata = points.map(p => [null, plotlyText(p.text)])
  return {
    data: lines.map((line, i) => {
      const symbol = SYMBOLS[i % SYMBOLS.length]!
      return {
        type: 'scatter',
        mode: 'lines+markers',
        name: plotlyText(line.label === '' ? line.name : `${line.name}, ${line.label}`),
        x,
        y: [...line.y],
        marker: { symbol: points.map(p => p.partial ? `${symbol}-open` : symbol), size: Math.max(5, 11 - 2 * i) },
        line: { dash: DASHES[i % DASHES.length] },
        customdata,
        hovertemplate: '%{fullData.name}<br>%{customdata[1]}: %{y:,} packets<extra></extra>'
      }
    }),
    layout: {
      title: { text: plotlyText(title) },
      xaxis: { ...xaxis, title: { text: `${unit} (its first day)` } },
      yaxis: { title: { text: 'Packets' }, rangemode: 'tozero', tickformat: ',d' },
      hovermode: 'closest',
      showlegend: true,
      margin: { t: 60 }
    }
  }
}

/** Tile colours from the least count (light) to the most (the accent): the same in both themes, text contrasted by Plotly. */
const TILE_LOW = [0xcf, 0xe0, 0xf7] as const
const TILE_HIGH = [0x0a, 0x62, 0xc9] as const
/** The "others" tile: grey, apart from the values' blues. */
const OTHERS_COLOR = '#999999'

function tileColor (count: number, least: number, most: number): string {
  const t = most === least ? 1 : (count - least) / (most - least)
  return '#' + TILE_LOW.map((low, i) => Math.round(low + (TILE_HIGH[i]! - low) * t).toString(16).padStart(2, '0')).join('')
}

/** `12.3%`: a tile's share of its chart, one decimal (`<0.1%` for a share that would read 0.0%). */
export function shareText (count: number, total: number): string {
  const percent = total > 0 ? (100 * count) / total : 0
  return percent > 0 && percent < 0.05 ? '<0.1%' : `${percent.toFixed(1)}%`
}

/**
 * The top values of a period as a treemap, a tile per value. `others`: the period's packets of
 * values not shown (the total minus the values' sum and what was left out), drawn as one grey
 * tile that opens nothing, so that areas are honest: a value's tile is its share of the period.
 * Every tile says its share. `title` '' draws none (a chart in a card that has its heading).
 */
export function topFigure (title: string, items: readonly TopItem[], others = 0): Figure {
  const tiles = [...items, ...others > 0 ? [{ value: 'others', label: 'other values', count: others, link: null }] : []]
  const total = tiles.reduce((sum, t) => sum + t.count, 0)
  const counts = items.map(i => i.count)
  const [least, most] = [Math.min(...counts), Math.max(...counts)]
  return {
    data: [{
      type: 'treemap',
      labels: tiles.map(i => plotlyText(i.value)),
      parents: tiles.map(() => ''),
      values: tiles.map(i => i.count),
      text: tiles.map(i => plotlyText(i.label)),
      customdata: tiles.map(i => [i.link, plotlyText(i.label), shareText(i.count, total)]),
      texttemplate: '%{label}<br>%{text}<br>%{value:,} · %{customdata[2]}',
      hovertemplate: '%{label}<br>%{customdata[1]}<br>%{value:,} packets (%{customdata[2]})<extra></extra>',
      marker: { colors: tiles.map((t, i) => i < items.length ? tileColor(t.count, least, most) : OTHERS_COLOR) },
      root: { color: 'rgba(0,0,0,0)' },
      // No path bar: a page's tiles never zoom (a click opens the value's timeline).
      pathbar: { visible: false },
      sort: false
    }],
    layout: {
      ...title === '' ? {} : { title: { text: plotlyText(title) } },
      margin: { t: title === '' ? 10 : 60, l: 10, r: 10, b: 10 }
    }
  }
}

export interface HeatmapRow {
  value: string
  /** Human label: `ssh`; may be ''. */
  label: string
  /** Packets of the value on each day of the period (HeatmapDays.x); null on a day without data. */
  counts: ReadonlyArray<number | null>
}

export interface HeatmapDays {
  /** Every day of the period, YYYY-MM-DD, ascending. */
  x: readonly string[]
  /** The page each day's cells open (null: a day without data, whose cells are blank). */
  links: ReadonlyArray<string | null>
}

/**
 * Days × values: a row per value (the first on top), a cell per day coloured by its packets.
 * A day without data is a blank cell (null), never a 0; a cell opens its day's page.
 */
export function heatmapFigure (rows: readonly HeatmapRow[], days: HeatmapDays, period: Period): Figure {
  const names = rows.map(r => r.label === '' ? r.value : `${r.value} ${r.label}`)
  // The rows say what they are: no axis titles in a chart whose card has its heading.
  const xaxis = dateAxis(period)
  delete xaxis.title
  return {
    data: [{
      type: 'heatmap',
      x: [...days.x],
      y: names.map(plotlyText),
      z: rows.map(r => days.x.map((_, d) => days.links[d] === null ? null : r.counts[d] ?? null)),
      // Only the link per cell: the row's name is its y (a month of cells per value, per field, on one page).
      customdata: rows.map(() => days.links.map(link => [link])),
      hovertemplate: '%{y}<br>%{x}: %{z:,} packets<extra></extra>',
      hoverongaps: false,
      colorscale: 'Viridis',
      xgap: 1,
      ygap: 1,
      colorbar: { title: { text: 'Packets' }, thickness: 12, tickformat: ',d' }
    }],
    layout: {
      xaxis: { ...xaxis, showgrid: false },
      yaxis: { type: 'category', autorange: 'reversed', automargin: true, showgrid: false },
      height: 90 + 24 * rows.length,
      margin: { t: 10, r: 10, b: 40 }
    }
  }
}
