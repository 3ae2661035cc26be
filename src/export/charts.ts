/**
 * Plotly figures (data + layout, plain JSON) for potiron's two charts, shared by the offline
 * site and the dashboard: a month timeline (one line per value, a point per day) and the top
 * values of a day or a month (a treemap: area proportional to count). Each point or tile
 * carries the address it opens when clicked in `customdata[0]`; src/export/browser/ does the rest.
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
  /** Days, YYYY-MM-DD. */
  x: readonly string[]
  y: readonly number[]
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

export function timelineFigure (title: string, lines: readonly TimelineLine[]): Figure {
  return {
    data: lines.map(line => ({
      type: 'scatter',
      mode: 'lines+markers',
      name: plotlyText(line.label === '' ? line.name : `${line.name}, ${line.label}`),
      x: line.x,
      y: line.y,
      customdata: line.links.map(link => [link]),
      // The trace's name, not the value pasted into the template: a value could hold `%{...}`.
      hovertemplate: '%{fullData.name}<br>%{x}: %{y:,} packets<extra></extra>'
    })),
    layout: {
      title: { text: plotlyText(title) },
      xaxis: { title: { text: 'Day' }, type: 'date', tickformat: '%d', hoverformat: '%Y-%m-%d', dtick: 86400000 },
      yaxis: { title: { text: 'Packets' }, rangemode: 'tozero', tickformat: ',d' },
      hovermode: 'closest',
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
