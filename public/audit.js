// The audit page's full verification: while it runs, polls its status and shows the progress;
// when it ends, reloads the page so the chain state shows the recorded result.
(function () {
  'use strict';
  var box = document.getElementById('verify-run');
  var progress = document.getElementById('verify-progress');
  if (!box || !progress || box.dataset.state !== 'running') return;
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? '' : String(values[k]); });
  }
  function tick() {
    fetch(box.dataset.status, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.state === 'running') {
          progress.hidden = false;
          progress.textContent = fill(box.dataset.running, { by: s.by, checked: s.checked.toLocaleString('ja-JP'), total: s.total.toLocaleString('ja-JP') });
          setTimeout(tick, 500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  tick();
})();
