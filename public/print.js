// The print button of the intake slip (no inline script under the CSP).
(function () {
  'use strict';
  var button = document.getElementById('print');
  if (button) button.addEventListener('click', function () { window.print(); });
})();
