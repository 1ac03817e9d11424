// Polls the request's status; shows the number while the viewing window lasts, then masks it.
(function () {
  'use strict';
  var box = document.getElementById('gate');
  var stateCell = document.getElementById('gate-state');
  var shown = document.getElementById('revealed');
  var countdown = document.getElementById('countdown');
  if (!box || !stateCell || !shown || !countdown) return;
  var labels = JSON.parse(stateCell.dataset.labels || '{}');
  var done = false;
  function tick() {
    if (done) return;
    fetch(box.dataset.status, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        stateCell.textContent = labels[s.state] || s.state;
        var link = document.getElementById('download');
        if (s.state === 'approved' && s.download && link) {
          link.href = s.download;
          link.hidden = false;
          var waiting = document.getElementById('pending');
          if (waiting) waiting.hidden = true;
          link.addEventListener('click', function () { setTimeout(function () { link.hidden = true; }, 0); });
        } else if (link) {
          link.hidden = true;
        }
        if (s.state === 'approved' && s.number) {
          shown.textContent = s.number;
          countdown.textContent = box.dataset.left.replace('{s}', String(s.secondsLeft));
          var pending = document.getElementById('pending');
          if (pending) pending.hidden = true;
        } else if (s.state !== 'requested') {
          var wait = document.getElementById('pending');
          if (wait) wait.hidden = true;
          shown.textContent = box.dataset.masked;
          countdown.textContent = '';
          done = true;
        }
        if (!done) setTimeout(tick, 1000);
      })
      .catch(function () { if (!done) setTimeout(tick, 3000); });
  }
  tick();
})();
