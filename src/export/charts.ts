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

export function topFigure (title: string, items: readonly TopItem[]): Figure {
  return {
    data: [{
      type: 'treemap',
      labels: items.map(i => plotlyText(i.value)),
      parents: items.map(() => ''),
      values: items.map(i => i.count),
      text: items.map(i => plotlyText(i.label)),
      customdata: items.map(i => [i.link, plotlyText(i.label)]),
      textinfo: 'label+text+value',
      hovertemplate: '%{label}<br>%{customdata[1]}<br>%{value:,} packets<extra></extra>',
      marker: { colorscale: 'Blues', colors: items.map(i => i.count), reversescale: true },
      root: { color: 'white' },
      sort: false
    }],
    layout: {
      title: { text: plotlyText(title) },
      margin: { t: 60, l: 10, r: 10, b: 10 }
    }
  }
}
