// Sends the filing file as the request body (token in a header, kind/year/name in the query),
// then opens the review page the server names, or shows its message.
(function () {
  'use strict';
  var form = document.getElementById('filing-upload');
  var result = document.getElementById('filing-result');
  if (!form || !result) return;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var file = document.getElementById('file').files[0];
    if (!file) return;
    var query = 'kind=' + encodeURIComponent(document.getElementById('kind').value) +
      '&year=' + encodeURIComponent(document.getElementById('year').value) +
      '&name=' + encodeURIComponent(file.name);
    result.textContent = result.dataset.uploading;
    fetch('/filings/upload?' + query, { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': form.dataset.csrf, 'Content-Type': 'application/octet-stream' }, body: file })
      .then(function (r) { return r.json().catch(function () { return { error: result.dataset.failed }; }); })
      .then(function (body) {
        if (body.review) window.location.assign(body.review);
        else result.textContent = body.error || result.dataset.failed;
      })
      .catch(function () { result.textContent = result.dataset.failed; });
  });
})();
