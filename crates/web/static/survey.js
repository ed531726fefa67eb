// Shows the classification as the survey form is filled. The server
// computes it (POST /api/v1/classify) and computes it again on submit.
(function () {
  var form = document.getElementById('survey');
  var out = document.getElementById('outcome');
  if (!form || !out) return;
  var timer = null;
  function update() {
    var fields = {};
    new FormData(form).forEach(function (value, key) { fields[key] = String(value); });
    fetch('/api/v1/classify', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(fields)
    }).then(function (r) { return r.json(); }).then(function (v) {
      if (v.error) { out.textContent = v.error; return; }
      out.textContent = v.status + (v.deprived.length ? ' — ' + v.deprived.join(', ') : '');
      out.setAttribute('data-status', v.status);
    });
  }
  form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(update, 200); });
  form.addEventListener('change', function () { clearTimeout(timer); timer = setTimeout(update, 50); });
})();
