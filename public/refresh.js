// A page waiting for the appliance (PIN enrolment, card reading) reloads itself every few seconds,
// as the note at its top says; 「自動更新を止める」 stops it (WCAG 2.2.1), and typing in a field
// postpones it so nothing typed is lost.
(function () {
  'use strict';
  var note = document.getElementById('auto-refresh');
  var stop = document.getElementById('auto-refresh-stop');
  if (!note || !stop) return;
  var seconds = Number(note.dataset.seconds) || 3;
  var timer = null;
  function schedule() {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
  stop.addEventListener('click', function () {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    note.textContent = note.dataset.stopped || '';
  });
  document.addEventListener('input', function () { if (timer !== null) schedule(); });
  schedule();
})();
