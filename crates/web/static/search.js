// Search as you type: submit the filter form after a short pause. Without
// this script the form still works with its button.
(function () {
  var form = document.getElementById('filters');
  if (!form) return;
  var box = form.querySelector('input[name=q]');
  var timer = null;
  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = new URL(form.action, window.location.href);
      new FormData(form).forEach(function (value, key) { if (value) url.searchParams.set(key, value); });
      fetch(url, { headers: { 'X-Requested-With': 'fetch' } })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, 'text/html');
          var main = document.querySelector('main');
          var fresh = page.querySelector('main');
          if (!main || !fresh) return;
          // Keep the search box (and its cursor); replace the results.
          Array.prototype.slice.call(main.children).forEach(function (el) { if (el !== form) el.remove(); });
          Array.prototype.slice.call(fresh.children).forEach(function (el) { if (el.id !== 'filters') main.appendChild(el); });
          history.replaceState(null, '', url);
        });
    }, 250);
  });
})();

// The unit box of a large scope: suggestions from /api/v1/units?q= as the
// officer types (a name without marks will do); the chosen code is sent.
(function () {
  var box = document.getElementById('unit');
  var list = document.getElementById('unit-options');
  if (!box || !list) return;
  var timer = null;
  box.addEventListener('input', function () {
    clearTimeout(timer);
    var text = box.value.trim();
    if (text.length < 2) return;
    timer = setTimeout(function () {
      fetch('/api/v1/units?q=' + encodeURIComponent(text), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : { units: [] }; })
        .then(function (found) {
          list.textContent = '';
          found.units.forEach(function (u) {
            var option = document.createElement('option');
            option.value = u.code;
            option.textContent = u.name;
            list.appendChild(option);
          });
        });
    }, 200);
  });
})();
