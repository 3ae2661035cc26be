/**
 * A year as a calendar heatmap, as GitHub's contribution chart: weeks as columns (from Monday;
 * the week of January 1 is the first), weekdays as rows. Shared by the dashboard's calendar (a
 * sensor's packets, or a value's) and `plot range` (a value's). A day with data is its count; a
 * day without any capture is a neutral "no data" cell, never a 0.
 */
import { daysFromCivil } from '../aggregate/days.js'
import type { Figure } from './charts.js'
import { plotlyText } from './charts.js'
import { daysFrom } from './range.js'

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Monday = 0 ... Sunday = 6, of a YYYYMMDD day (day 0, 1970-01-01, was a Thursday). */
function weekdayOf (ymd: string): number {
  return (daysFromCivil(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)), Number(ymd.slice(6, 8))) % 7 + 10) % 7
}

/** Every day of `year`, YYYYMMDD, ascending. */
export function daysOfYear (year: number): string[] {
  return daysFrom(`${year}0101`, `${year}1231`)
}

/** Where a day sits in a year's calendar grid: its week column (weeks start on Monday; the week of January 1 is 0) and weekday row. */
export function calendarCell (ymd: string): { week: number, weekday: number } {
  const year = Number(ymd.slice(0, 4))
  const index = daysFromCivil(year, Number(ymd.slice(4, 6)), Number(ymd.slice(6, 8))) - daysFromCivil(year, 1, 1)
  return { week: Math.floor((index + weekdayOf(`${year}0101`)) / 7), weekday: weekdayOf(ymd) }
}

/**
 * The year's heatmap: `counts` holds the days with data (YYYYMMDD) and their count (null: none
 * to show, drawn as no data); `name` the trace's; `link` what a day with data opens
 * (customdata[0], YYYY-MM-DD given), null for nothing. The days without data are a trace of
 * their own under the counts: the calendar keeps its shape, and such a day reads "no data".
 */
export function calendarFigure (year: number, counts: ReadonlyMap<string, number | null>, name: string, link: (day: string) => string | null): Figure {
  const all = daysOfYear(year)
  const weeks = calendarCell(all[all.length - 1]!).week + 1
  const grid = <T>(fill: T): T[][] => WEEKDAYS.map(() => new Array<T>(weeks).fill(fill))
  const z = grid<number | null>(null)
  const none = grid<number | null>(null)
  const text = grid('')
  const customdata = grid<[string] | null>(null)
  for (const ymd of all) {
    const { week, weekday } = calendarCell(ymd)
    const day = `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`
    text[weekday]![week] = day
    const count = counts.get(ymd)
    if (count === undefined || count === null) {
      none[weekday]![week] = 0
      continue
    }
    z[weekday]![week] = count
    const to = link(day)
    if (to !== null) customdata[weekday]![week] = [to]
  }
  const firsts = MONTHS.map((_, m) => calendarCell(`${year}${String(m + 1).padStart(2, '0')}01`).week)
  const x = Array.from({ length: weeks }, (_, w) => w)
  return {
    data: [{
      type: 'heatmap',
      x,
      y: WEEKDAYS,
      z: none,
      text,
      hoverongaps: false,
      xgap: 2,
      ygap: 2,
      colorscale: [[0, 'rgba(128,128,128,0.15)'], [1, 'rgba(128,128,128,0.15)']],
      showscale: false,
      hovertemplate: '%{text}: no data<extra></extra>',
      name: 'no data'
    }, {
      type: 'heatmap',
      x,
      y: WEEKDAYS,
      z,
      text,
      customdata,
      hoverongaps: false,
      xgap: 2,
      ygap: 2,
      colorscale: [[0, '#cfe0f7'], [1, '#0a62c9']],
      colorbar: { title: { text: 'Packets' }, thickness: 12, tickformat: ',d' },
      hovertemplate: '%{text}: %{z:,} packets<extra></extra>',
      name: plotlyText(name)
    }],
    layout: {
      xaxis: { tickvals: firsts, ticktext: MONTHS, showgrid: false, zeroline: false, fixedrange: true, side: 'top' },
      yaxis: { autorange: 'reversed', showgrid: false, zeroline: false, fixedrange: true },
      margin: { t: 30, r: 10, b: 10, l: 40 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)'
    }
  }
}
