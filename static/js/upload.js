// The package upload form: sends the form with XMLHttpRequest so the transfer shows real progress
// (percentage, bytes sent of total, speed), then opens the version page. Without this script the form
// posts normally and the server redirects. No inline scripts: the CSP allows only files from 'self';
// messages come from data-* attributes so they are translated in the template.
(() => {
  "use strict";

  const form = document.querySelector("form[data-upload]");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;

  const $ = (selector) => form.querySelector(selector);
  const ui = {
    file: form.querySelector("input[type=file]"),
    progress: $("[data-progress]"),
    bar: $("[data-progress-bar]"),
    track: $("[data-progress] [role=progressbar]"),
    percent: $("[data-progress-percent]"),
    bytes: $("[data-progress-bytes]"),
    speed: $("[data-progress-speed]"),
    status: $("[data-progress-status]"),
    formError: $("[data-form-error]"),
    submit: $("[data-upload-submit]"),
    cancel: $("[data-upload-cancel]"),
  };
  const msg = (name) => form.dataset[`msg${name}`] || "";
  const maxBytes = Number(form.dataset.maxBytes) || Infinity;
  let xhr = null;

  function formatBytes(n) {
    const units = ["B", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return `${n.toFixed(i === 0 || n >= 100 ? 0 : 1)} ${units[i]}`;
  }

  function csrfToken() {
    const field = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach((el) => { el.textContent = ""; });
    form.querySelectorAll(".field-error").forEach((el) => el.classList.remove("field-error"));
    ui.formError.hidden = true;
    ui.formError.textContent = "";
  }

  function showError(field, message) {
    const slot = form.querySelector(`[data-error-for="${field}"]`);
    if (slot) {
      slot.textContent = message;
      slot.closest(".field").classList.add("field-error");
    } else {
      ui.formError.textContent = message;
      ui.formError.hidden = false;
    }
  }

  function setBusy(busy) {
    ui.submit.disabled = busy;
    ui.cancel.hidden = !busy;
    ui.file.disabled = busy;
    form.classList.toggle("is-uploading", busy);
  }

  function showProgress(sent, total, startedAt) {
    const percent = total ? Math.floor((sent / total) * 100) : 0;
    const seconds = (performance.now() - startedAt) / 1000;
    ui.progress.hidden = false;
    ui.bar.style.width = `${percent}%`;
    ui.track.setAttribute("aria-valuenow", String(percent));
    ui.percent.textContent = `${percent}%`;
    ui.bytes.textContent = `${formatBytes(sent)} ${msg("Of")} ${formatBytes(total)}`;
    ui.speed.textContent = seconds > 0.2 ? `${formatBytes(sent / seconds)}/s` : "";
  }

  function handleResponse(request) {
    let body = null;
    try { body = JSON.parse(request.responseText); } catch (e) { body = null; }
    if ((request.status === 200 || request.status === 201) && body && body.url) {
      ui.status.textContent = msg("Done");
      window.location.assign(body.url);
      return;
    }
    setBusy(false);
    ui.progress.hidden = true;
    const error = body && body.error;
    if (!error) { showError("", msg("Failed")); return; }
    const fields = error.fields || {};
    const names = Object.keys(fields);
    names.forEach((name) => showError(name, [].concat(fields[name]).join(" ")));
    if (!names.length) showError("", error.message || msg("Failed"));
  }

  function send() {
    const startedAt = performance.now();
    xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) showProgress(event.loaded, event.total, startedAt);
    });
    xhr.upload.addEventListener("load", () => { ui.status.textContent = msg("Processing"); });
    xhr.addEventListener("load", () => handleResponse(xhr));
    xhr.addEventListener("error", () => { setBusy(false); showError("", msg("Network")); });
    xhr.addEventListener("abort", () => { setBusy(false); ui.progress.hidden = true; showError("", msg("Cancelled")); });
    const data = new FormData(form);
    setBusy(true);
    showProgress(0, ui.file.files[0].size, startedAt);
    ui.status.textContent = "";
    xhr.send(data);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors();
    const file = ui.file.files[0];
    if (!file) { showError("package", msg("NoFile")); return; }
    if (!/\.zip$/i.test(file.name)) { showError("package", msg("NotZip")); return; }
    if (file.size > maxBytes) { showError("package", msg("TooLarge")); return; }
    send();
  });

  ui.cancel.addEventListener("click", () => { if (xhr) xhr.abort(); });
  ui.file.addEventListener("change", () => {
    const slot = form.querySelector('[data-error-for="package"]');
    if (slot) { slot.textContent = ""; slot.closest(".field").classList.remove("field-error"); }
  });
})();
