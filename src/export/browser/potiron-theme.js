// The theme of potiron's pages: the system's, or light or dark as chosen with the switch
// (button.theme-switch), kept in localStorage. Loaded in the head, so a page is never drawn in
// the other theme first. Says 'potiron-theme' on document when the theme may have changed
// (potiron-chart.js redraws its charts when <html data-theme> or the system's theme changes).
'use strict'
;(function () {
  const KEY = 'potiron-theme'
  const CHOICES = ['system', 'light', 'dark']
  function stored () {
    try { return localStorage.getItem(KEY) } catch (e) { return null }
  }
  function choice () {
    const t = stored()
    return t === 'light' || t === 'dark' ? t : 'system'
  }
  function apply () {
    const t = choice()
    if (t === 'system') delete document.documentElement.dataset.theme
    else document.documentElement.dataset.theme = t
    document.dispatchEvent(new CustomEvent('potiron-theme'))
  }
  apply()
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', apply)
  document.addEventListener('DOMContentLoaded', function () {
    const button = document.querySelector('button.theme-switch')
    if (button === null) return
    function label () {
      button.textContent = 'Theme: ' + choice()
      button.title = 'Switch between the system\'s theme, light and dark'
    }
    button.addEventListener('click', function () {
      const next = CHOICES[(CHOICES.indexOf(choice()) + 1) % CHOICES.length]
      try {
        if (next === 'system') localStorage.removeItem(KEY)
        else localStorage.setItem(KEY, next)
      } catch (e) {}
      apply()
      label()
    })
    label()
    button.hidden = false
  })
})()
