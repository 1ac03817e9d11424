// The backup page's 「今すぐバックアップ」: while a backup runs, polls its status and shows the pages
// copied; when it ends, reloads the page so the list and the result show.
(function () {
  'use strict';
  var box = document.getElementById('backup-run');
  var progress = document.getElementById('backup-progress');
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
          progress.textContent = fill(box.dataset.running, { by: s.by, copied: s.pagesCopied.toLocaleString('ja-JP'), total: s.totalPages.toLocaleString('ja-JP') });
          setTimeout(tick, 500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  tick();
})();
