// WebAuthn on the second-factor pages: asks the server for options, runs the
// ceremony with @simplewebauthn/browser (served from this origin), posts the
// result back, and follows the redirect the server answers with.
(function () {
  'use strict';
  var box = document.getElementById('webauthn');
  var button = document.getElementById('webauthn-start');
  var message = document.getElementById('webauthn-message');
  var lib = window.SimpleWebAuthnBrowser;
  if (!box || !button || !message || !lib) return;
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': box.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }
  function show(text) {
    message.textContent = text;
    message.hidden = false;
  }
  button.addEventListener('click', function () {
    button.disabled = true;
    message.hidden = true;
    post(box.dataset.options, {})
      .then(function (options) {
        if (options.ok === false) throw new Error(options.message);
        return box.dataset.mode === 'register'
          ? lib.startRegistration({ optionsJSON: options })
          : lib.startAuthentication({ optionsJSON: options });
      })
      .then(function (response) { return post(box.dataset.verify, { response: response }); })
      .then(function (result) {
        if (result.ok) { window.location.assign(result.redirect); return; }
        show(result.message);
        button.disabled = false;
      })
      .catch(function (err) {
        show(err && err.message && /[^\x00-\x7f]/.test(err.message) ? err.message : 'セキュリティキーでの確認が中断されたか、使えませんでした。もう一度お試しください。');
        button.disabled = false;
      });
  });
})();
