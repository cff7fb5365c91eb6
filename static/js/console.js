// Small behaviours for the portal shell. No inline scripts: the CSP allows only files from 'self'.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("select[data-autosubmit]")) el.form.requestSubmit();
});

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  try {
    await navigator.clipboard.writeText(source.value || source.textContent);
    button.textContent = button.dataset.copied || "Copied";
  } catch (e) {
    source.select && source.select();
  }
});

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Phone menu: Escape closes it; Enter or Space on the ☰ / × labels toggles it like a tap.
const navToggle = () => document.getElementById("nav-toggle");
document.addEventListener("keydown", (event) => {
  const toggle = navToggle();
  if (!toggle) return;
  if (event.key === "Escape" && toggle.checked) {
    toggle.checked = false;
    document.querySelector(".nav-toggle-button")?.focus();
  } else if ((event.key === "Enter" || event.key === " ") && event.target.matches?.("label[for=nav-toggle]")) {
    event.preventDefault();
    toggle.checked = !toggle.checked;
  }
});
