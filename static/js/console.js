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
  const form = event.target;
  const message = confirmation(form);
  if (message && !window.confirm(message)) {
    event.preventDefault();
    form.reset(); // a select that submits on change shows the saved value again
    return;
  }
  holdSecondSubmit(event, form);
});

// The form's question; "{role}" in it names the role chosen in the form's select ("Make Ivan Petrov Viewer?").
function confirmation(form) {
  const message = form.dataset.confirm;
  const select = form.querySelector("select[data-autosubmit]");
  return message && select ? message.replace("{role}", select.selectedOptions[0]?.textContent.trim() ?? "") : message;
}

// A second click while the first submission is on its way sent the form twice: two organisations, two
// invitations (the first link then says "revoked"), two API keys. The first one stands; the form is free
// again after a while (a download does not leave the page) and when the page comes back from the cache.
// Forms that only read (GET), htmx forms (they send their own requests) and the lifecycle forms (data-once:
// lifecycle.js holds them, and asks its own question first) are left alone.
const SUBMIT_HOLD_MS = 8000;
function holdSecondSubmit(event, form) {
  if (event.defaultPrevented) return; // a script of the page sends it itself (the package upload)
  if (form.method.toLowerCase() !== "post" || form.hasAttribute("hx-post") || form.hasAttribute("data-once")) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  setTimeout(() => delete form.dataset.submitting, SUBMIT_HOLD_MS);
}
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-submitting]").forEach((form) => delete form.dataset.submitting);
});

// Phone menu: the hidden checkbox #nav-toggle holds whether it is open (the CSS reads it; a tap on the
// backdrop, a label, unticks it). ☰ and × are real buttons, so that keyboards and screen readers know them
// (a label given role=button is not one); ☰ says whether the menu is open. Escape closes it.
const navToggle = () => document.getElementById("nav-toggle");
const showNavState = () => {
  const button = document.querySelector(".nav-toggle-button");
  const open = navToggle()?.checked === true;
  if (button) button.setAttribute("aria-expanded", String(open));
  // The account menu (a <details> in the top bar) stayed open, dimmed behind the opened drawer.
  if (open) document.querySelectorAll("details.menu[open]").forEach((menu) => { menu.open = false; });
};
document.addEventListener("click", (event) => {
  const button = event.target.closest?.(".nav-toggle-button, .nav-close");
  const toggle = navToggle();
  if (!button || !toggle) return;
  toggle.checked = button.classList.contains("nav-toggle-button") ? !toggle.checked : false;
  showNavState();
  if (!toggle.checked) document.querySelector(".nav-toggle-button")?.focus();
  else document.querySelector(".nav-close")?.focus();  // into the menu, not left under it
});
// While the phone menu is open, focus stays in it: Tab past its last link comes back to ×, not to the page
// dimmed behind it.
document.addEventListener("focusin", (event) => {
  const sidebar = document.getElementById("sidebar");
  if (navToggle()?.checked && sidebar && !sidebar.contains(event.target)) sidebar.querySelector(".nav-close")?.focus();
});
// The menu's current page, for screen readers as well as by colour.
document.querySelectorAll(".sidebar a.active").forEach((link) => link.setAttribute("aria-current", "page"));
document.addEventListener("change", (event) => {
  if (event.target === navToggle()) showNavState();
});
document.addEventListener("keydown", (event) => {
  const toggle = navToggle();
  if (event.key === "Escape" && toggle?.checked) {
    toggle.checked = false;
    showNavState();
    document.querySelector(".nav-toggle-button")?.focus();
  }
  // Escape closes an open menu of the top bar (the account menu, a <details>) and returns to its button.
  const menu = event.key === "Escape" ? document.querySelector("details.menu[open]") : null;
  if (menu) {
    menu.open = false;
    menu.querySelector("summary")?.focus();
  }
});

// A table wider than its card fades out at the side it scrolls towards, so that a tablet or phone user sees
// there is more. The CSS shadows of .table-wrap alone are painted under the cells, and coloured cells (the
// retention table) hide them; a mask fades whatever is there. Marked again on scroll, resize and htmx swaps.
function markScrollableSides(wrap) {
  const hidden = wrap.scrollWidth - wrap.clientWidth;
  wrap.classList.toggle("more-left", hidden > 1 && wrap.scrollLeft > 1);
  wrap.classList.toggle("more-right", hidden > 1 && wrap.scrollLeft < hidden - 1);
}
function markAllTables() {
  document.querySelectorAll(".table-wrap").forEach(markScrollableSides);
}
document.addEventListener("scroll", (event) => {
  if (event.target instanceof Element && event.target.matches(".table-wrap")) markScrollableSides(event.target);
}, { capture: true, passive: true });
window.addEventListener("resize", markAllTables);
document.addEventListener("DOMContentLoaded", markAllTables);
window.addEventListener("load", markAllTables);
document.addEventListener("htmx:afterSettle", markAllTables);

// A polled section (the version page while it scans) is replaced when something changed; a status line outside
// it reads out what it now says. A replaced live region is not announced, and one round the whole section
// re-read all of it.
document.addEventListener("htmx:afterSettle", (event) => {
  const section = event.detail?.elt;
  const line = section?.id ? document.querySelector(`[data-announce="${section.id}"]`) : null;
  if (line && section.dataset.statusText && line.textContent !== section.dataset.statusText) {
    line.textContent = section.dataset.statusText;
  }
});
