// While the filing request waits for approval, long-polls its status and reloads the page
// the moment it changes: the approved page then shows the ZIP's password once.
(function () {
  'use strict';
  var box = document.getElementById('filing-wait');
  if (!box || box.dataset.state !== 'requested') return;
  function poll() {
    fetch(box.dataset.status + '?wait=approval', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.state !== 'requested') window.location.reload();
        else setTimeout(poll, 0);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
