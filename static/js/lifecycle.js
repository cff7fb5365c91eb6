// Lifecycle actions on the version and program pages (forms marked data-once).
// A form submits once: its buttons are disabled right after the browser has collected the form data
// (so the clicked button's name and value still go). The server is safe anyway: the services lock and
// re-check, so a second request is refused with a message. console.js asks data-confirm questions first.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-once]") || event.defaultPrevented) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  if (form.dataset.confirmEveryone && toEveryone(form, event.submitter) && !window.confirm(form.dataset.confirmEveryone)) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  form.classList.add("is-busy");
  setTimeout(() => {
    form.querySelectorAll("button:enabled, input[type=submit]:enabled").forEach((button) => {
      button.disabled = true;
      button.dataset.busy = "1";
    });
  }, 0);
});

// Whether the form releases the version to everyone: "Everyone" on the release form, or 100 % on the raise form
// (its "100 % · everyone" button, or 100 typed and "Raise").
function toEveryone(form, submitter) {
  if (form.matches("[data-release]")) return form.elements.audience?.value === "everyone";
  if (form.matches(".raise-form")) return submitter?.value === "100" || (!submitter?.value && form.elements.percentage?.value === "100");
  return false;
}

// Typing a percentage chooses the phased release.
document.addEventListener("focusin", (event) => {
  const input = event.target;
  if (!input.matches(".phased-choice input[type=number]")) return;
  const radio = input.closest("label").querySelector("input[type=radio]");
  if (radio) radio.checked = true;
});

// Coming back with the browser's Back button shows the page as it was left: make its forms usable again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-once][data-submitting]").forEach((form) => {
    delete form.dataset.submitting;
    form.classList.remove("is-busy");
    form.querySelectorAll("[data-busy]").forEach((button) => {
      button.disabled = false;
      delete button.dataset.busy;
    });
  });
});
