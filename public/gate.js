// Polls the request's status: a reveal shows the number while the viewing window lasts, then masks it;
// an export shows its one-time download link while the file is held.
(function () {
  'use strict';
  var box = document.getElementById('gate');
  var stateCell = document.getElementById('gate-state');
  var countdown = document.getElementById('countdown');
  if (!box || !stateCell || !countdown) return;
  var shown = document.getElementById('revealed');
  var link = document.getElementById('download');
  var pending = document.getElementById('pending');
  var labels = JSON.parse(stateCell.dataset.labels || '{}');
  var done = false;
  if (link) link.addEventListener('click', function () { setTimeout(function () { link.hidden = true; }, 0); });
  function tick() {
    if (done) return;
    // While waiting for the approval the server holds the request open and answers the moment it commits.
    var url = box.dataset.status + (stateCell.dataset.state === 'requested' ? '?wait=approval' : '');
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        stateCell.textContent = labels[s.state] || s.state;
        stateCell.dataset.state = s.state;
        if (s.state !== 'requested' && pending) pending.hidden = true;
        if (link) {
          if (s.state === 'approved' && s.download) {
            link.href = s.download;
            link.hidden = false;
          } else {
            link.hidden = true;
          }
        }
        if (s.state === 'approved' && s.secondsLeft !== null) {
          if (shown && s.number) shown.textContent = s.number;
          countdown.textContent = box.dataset.left.replace('{s}', String(s.secondsLeft));
        } else if (s.state !== 'requested') {
          if (shown) shown.textContent = box.dataset.masked;
          countdown.textContent = '';
          done = true;
        }
        if (!done) setTimeout(tick, s.state === 'requested' ? 0 : 1000);
      })
      .catch(function () { if (!done) setTimeout(tick, 3000); });
  }
  tick();
})();
