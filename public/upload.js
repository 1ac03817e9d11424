// CSV upload with progress: sends the file as the request body with the CSRF
// token in a header, then lists the import report (every bad row with its line).
(function () {
  'use strict';
  var form = document.getElementById('upload');
  var result = document.getElementById('result');
  var bar = document.getElementById('progress');
  var label = document.getElementById('progress-label');
  if (!form || !result || !bar || !label) return;
  var t = result.dataset;

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var file = document.getElementById('file').files[0];
    if (!file) return;
    var skip = document.getElementById('skip').checked;
    // The purposes notified to the persons of this file (per-upload choice).
    var purposes = Array.prototype.map.call(form.querySelectorAll('input[name="purposes"]:checked'), function (i) { return i.value; });
    var query = ['purposes=' + encodeURIComponent(purposes.join(','))];
    if (skip) query.push('skip=1');
    // 既存の人の更新: the bulk update matched by 社員番号 (all or nothing).
    var mode = form.querySelector('input[name="mode"]:checked');
    var update = mode && mode.value === 'update';
    var xhr = new XMLHttpRequest();
    xhr.open('POST', update ? '/imports/updates' : '/imports?' + query.join('&'));
    xhr.setRequestHeader('X-CSRF-Token', form.dataset.csrf);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    bar.hidden = false;
    bar.value = 0;
    label.textContent = t.uploading;
    result.replaceChildren();
    xhr.upload.addEventListener('progress', function (e) {
      if (!e.lengthComputable) return;
      bar.value = Math.round((e.loaded / e.total) * 100);
      label.textContent = t.uploading + ' ' + bar.value + '%';
      if (e.loaded === e.total) label.textContent = t.processing;
    });
    xhr.addEventListener('load', function () {
      bar.hidden = true;
      label.textContent = '';
      var report;
      try {
        report = JSON.parse(xhr.responseText);
      } catch (err) {
        result.append(el('p', xhr.status + ' ' + xhr.statusText));
        return;
      }
      if (report.committed && report.updated !== undefined) {
        result.append(el('p', t.updated.replace('{n}', String(report.updated)).replace('{r}', String(report.retired)) + '（' + report.encoding + '）'));
      } else if (report.committed) {
        var i = report.imported;
        result.append(el('p', t.done + ': ' + t.employee + ' ' + i.employee + ' / ' + t.dependant + ' ' + i.dependant + ' / ' + t.payee + ' ' + i.payee + '（' + report.encoding + '）'));
      } else if (report.errors) {
        result.append(el('p', t.rejected));
      } else {
        result.append(el('p', report.message || xhr.statusText));
      }
      var notes = (report.errors || []).concat((report.warnings || []).map(function (w) {
        return { line: w.line, message: t.warning + ': ' + w.message };
      }));
      if (notes.length) {
        var table = el('table');
        table.className = 'list';
        var head = el('tr');
        head.append(el('th', t.line), el('th', t.reason));
        table.append(head);
        notes.forEach(function (e) {
          var row = el('tr');
          row.append(el('td', String(e.line)), el('td', e.message));
          table.append(row);
        });
        result.append(table);
      }
    });
    xhr.send(file);
  });
})();
