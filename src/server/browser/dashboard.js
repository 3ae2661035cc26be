// The dashboard's forms without inline scripts (the Content-Security-Policy allows none): a
// form marked data-autosubmit is sent as soon as one of its lists or boxes changes, and choosing another
// sensor asks for its latest day (the day chosen may not exist there). Without JavaScript the
// forms' buttons do the same.
'use strict'
;(function () {
  document.querySelectorAll('form[data-autosubmit]').forEach(function (form) {
    form.querySelectorAll('select, input[type="checkbox"]').forEach(function (select) {
      select.addEventListener('change', function () {
        const day = form.querySelector('select[name="day"]')
        if (select.name === 'sensor' && day !== null) day.value = ''
        form.submit()
      })
    })
  })
})()
