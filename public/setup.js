// Setup, PIN pad step: shows that a key was pressed on the pad (when, never which key).
(function () {
  'use strict';
  var box = document.getElementById('pinpad-live');
  var message = document.getElementById('pinpad-live-message');
  if (!box || !message) return;
  var since = Number(box.dataset.since);
  var polls = 0;
  var note = box.querySelector('.no-script-note');
  if (note) note.hidden = true;
  message.textContent = message.dataset.waiting;
  function clock(ms) {
    var d = new Date(ms);
    return d.toLocaleTimeString('ja-JP', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'Asia/Tokyo' });
  }
  function tick() {
    polls += 1;
    fetch(box.dataset.url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        box.dataset.pad = s.pinPad;
        if (typeof s.lastKeyAt === 'number' && s.lastKeyAt >= since) {
          message.textContent = message.dataset.received.replace('{time}', clock(s.lastKeyAt));
          box.dataset.state = 'received';
        }
        // About ten minutes of polling; after that the page's 再確認 link does it.
        if (polls < 600) setTimeout(tick, 1000);
      })
      .catch(function () { if (polls < 600) setTimeout(tick, 3000); });
  }
  tick();
})();
