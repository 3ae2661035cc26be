// The dashboard's behaviour, without inline scripts (the Content-Security-Policy allows none).
// Loaded in the head: it sets the stored theme before the first paint (light, dark, or the
// system's: no data-theme), then once the page is read it wires the controls:
// - the theme switch, stored in localStorage;
// - a form marked data-autosubmit is sent as soon as one of its lists or boxes changes, and
//   choosing another sensor asks for its latest day and range (the days chosen may not exist there);
// - the date inputs of the header accept only the days listed in their datalist (days with data)
//   and a range whose start is not after its end.
// Without JavaScript the forms' buttons do the same, and the server refuses a day without data.
'use strict'
;(function () {
  const KEY = 'potiron-theme'
  const root = document.documentElement
  function apply (choice) {
    if (choice === 'light' || choice === 'dark') root.setAttribute('data-theme', choice)
    else root.removeAttribute('data-theme')
  }
  function stored () {
    try { return window.localStorage.getItem(KEY) } catch (e) { return null }
  }
  apply(stored())

  function themeSwitch (select) {
    const choice = stored()
    select.value = choice === 'light' || choice === 'dark' ? choice : 'system'
    select.addEventListener('change', function () {
      try {
        if (select.value === 'system') window.localStorage.removeItem(KEY)
        else window.localStorage.setItem(KEY, select.value)
      } catch (e) { /* storage refused: the choice holds for this page only */ }
      apply(select.value)
    })
  }

  function dateChecks (form) {
    // A one-day picker (a layer-2 database's overview) has no From.
    const from = form.querySelector('input[name="from"]')
    const to = form.querySelector('input[name="day"]')
    if (to === null) return
    const inputs = from === null ? [to] : [from, to]
    const list = document.getElementById(to.getAttribute('list'))
    const days = new Set(Array.prototype.map.call(list === null ? [] : list.options, function (o) { return o.value }))
    function check () {
      inputs.forEach(function (input) {
        input.setCustomValidity(input.value === '' || days.has(input.value) ? '' : 'No data on ' + input.value + ': choose a day from the list')
      })
      if (from !== null && from.validity.customError === false && from.value !== '' && to.value !== '' && from.value > to.value) from.setCustomValidity('The range starts after it ends')
    }
    inputs.forEach(function (input) { input.addEventListener('input', check) })
    check()
  }

  function autosubmit (form) {
    form.querySelectorAll('select, input[type="checkbox"]').forEach(function (control) {
      control.addEventListener('change', function () {
        if (control.name === 'sensor') {
          form.querySelectorAll('input[type="date"], select[name="day"]').forEach(function (input) {
            input.value = ''
            input.setCustomValidity('')
          })
        }
        if (form.reportValidity()) form.submit()
      })
    })
  }

  document.addEventListener('DOMContentLoaded', function () {
    const select = document.getElementById('theme')
    if (select !== null) themeSwitch(select)
    document.querySelectorAll('form').forEach(dateChecks)
    document.querySelectorAll('form[data-autosubmit]').forEach(autosubmit)
  })
})()
