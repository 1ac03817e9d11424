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
  var feedbackBox = document.getElementById('gate-feedback');
  var approveLeft = document.getElementById('approve-countdown');
  var approveUntil = approveLeft && approveLeft.dataset.seconds ? Date.now() + Number(approveLeft.dataset.seconds) * 1000 : null;
  // The approval window's countdown runs on the page between answers; each answer sets it again.
  function showApproveLeft() {
    if (!approveLeft || approveUntil === null) return;
    var s = Math.max(0, Math.ceil((approveUntil - Date.now()) / 1000));
    approveLeft.textContent = approveLeft.dataset.text.replace('{m}', String(Math.floor(s / 60))).replace('{s}', String(s % 60));
  }
  var approveTimer = setInterval(showApproveLeft, 1000);
  // What the appliance said: a wrong PIN and the tries left, a lock, or how the request ended.
  function showFeedback(state, f) {
    if (!feedbackBox || !f) return;
    var text = '';
    var cls = 'warning';
    if (state === 'requested' && f.locked) text = feedbackBox.dataset.locked;
    else if (state === 'requested' && f.wrongPins > 0) text = feedbackBox.dataset.wrong.replace('{n}', String(f.wrongPins)).replace('{left}', String(f.triesLeft));
    else if (f.ended && feedbackBox.dataset.ended) { text = JSON.parse(feedbackBox.dataset.ended)[f.ended] || ''; cls = 'notice ended ended-' + f.ended; }
    if (state === 'requested' && f.approveSecondsLeft !== null) approveUntil = Date.now() + f.approveSecondsLeft * 1000;
    else { clearInterval(approveTimer); if (approveLeft) approveLeft.hidden = true; }
    if (feedbackBox.dataset.shown === text) return;
    feedbackBox.dataset.shown = text;
    feedbackBox.textContent = '';
    if (text) {
      var p = document.createElement('p');
      p.className = cls;
      p.textContent = text;
      feedbackBox.appendChild(p);
    }
  }
  if (link) link.addEventListener('click', function () { setTimeout(function () { link.hidden = true; }, 0); });
  function tick() {
    if (done) return;
    // While waiting for the approval the server holds the request open and answers the moment it commits.
    var url = box.dataset.status + (stateCell.dataset.state === 'requested' ? '?wait=approval' : '');
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        stateCell.textContent = labels[s.state] || s.state;
        showFeedback(s.state, s.feedback);
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
