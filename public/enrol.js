// Follows a security-key enrolment until the admin has finished it at the appliance.
(function () {
  'use strict';
  var box = document.getElementById('enrol');
  var message = document.getElementById('enrol-message');
  if (!box || !message) return;
  function tick() {
    fetch(box.dataset.status, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        message.textContent = s.message;
        box.dataset.state = s.state;
        if (s.state !== 'waiting_pin') {
          var code = box.querySelector('.code');
          if (code) code.hidden = true;
        }
        if (s.state === 'waiting_pin' || s.state === 'touching') setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  tick();
})();
