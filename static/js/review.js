// Reviewer pages: keyboard shortcuts and the claim heartbeat. No inline scripts (CSP).
(function () {
  "use strict";


  function typing(event) {
    const el = event.target;
    return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
  }

  function clickShortcut(key) {
    const target = document.querySelector(`[data-shortcut="${key}"]`);
    if (!target) return false;
    target.click();
    return true;
  }

  // ------------------------------------------------------------ queue: j/k between rows, / to search

  function queueRows() {
    return Array.from(document.querySelectorAll("[data-queue-row]"));
  }

  function moveRow(step) {
    const rows = queueRows();
    if (!rows.length) return;
    const at = rows.indexOf(document.activeElement);
    const next = at < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + step));
    rows[next].focus();
    rows[next].scrollIntoView({ block: "nearest" });
  }

  // ------------------------------------------------------------ review page: decision forms

  function openDecision(kind) {
    const panel = document.getElementById(`decide-${kind}`);
    if (!panel) return false;
    document.querySelectorAll("details.decision[open]").forEach((d) => { if (d !== panel) d.open = false; });
    panel.open = true;
    panel.scrollIntoView({ block: "nearest", behavior: "smooth" });
    const first = panel.querySelector("form input:not([type=hidden]), form textarea");
    if (first) first.focus({ preventScroll: true });
    return true;
  }

  function jumpTo(id) {
    const section = document.getElementById(id);
    if (!section) return false;
    section.scrollIntoView({ block: "start", behavior: "smooth" });
    return true;
  }

  // Escape closes an open decision form and puts focus back on its heading row (not on the page's top,
  // which is where a blur sends a keyboard user); anywhere else it leaves focus be.
  function closeOpen() {
    const open = Array.from(document.querySelectorAll("details.decision[open]"));
    open.forEach((d) => { d.open = false; });
    const summary = open.length ? open[0].querySelector("summary") : null;
    if (summary) summary.focus();
    return open.length > 0;
  }

  // Single-key shortcuts can be turned off (WCAG 2.1.4: speech input says letters); kept per browser.
  const SHORTCUTS_OFF = "review-shortcuts-off";

  function shortcutsOn() {
    try { return localStorage.getItem(SHORTCUTS_OFF) !== "1"; } catch (e) { return true; }
  }

  document.querySelectorAll("[data-shortcuts-toggle]").forEach((box) => {
    box.checked = shortcutsOn();
    box.addEventListener("change", () => {
      try { if (box.checked) localStorage.removeItem(SHORTCUTS_OFF); else localStorage.setItem(SHORTCUTS_OFF, "1"); }
      catch (e) { /* private mode: the choice lasts this page */ }
      document.querySelectorAll("[data-shortcuts-toggle]").forEach((other) => { other.checked = box.checked; });
    });
  });

  const KEYS = {
    j: () => moveRow(1),
    k: () => moveRow(-1),
    "/": () => { const q = document.getElementById("id_q"); if (q) { q.focus(); q.select(); } return !!q; },
    n: () => clickShortcut("n"),
    q: () => clickShortcut("q"),
    t: () => clickShortcut("t"),
    a: () => openDecision("approve"),
    r: () => openDecision("reject"),
    c: () => openDecision("request_changes"),
    m: () => { const body = document.getElementById("id_body"); if (body) body.focus(); return !!body; },
    d: () => jumpTo("diff"),
    s: () => jumpTo("report"),
    h: () => jumpTo("history"),
    "?": () => jumpTo("shortcuts"),
  };

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (closeOpen()) event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event) || !shortcutsOn()) return;
    const action = KEYS[event.key];
    if (action && action() !== false) event.preventDefault();
  });

  // ------------------------------------------------------------ claim heartbeat

  function csrfToken(box) {
    const input = box.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function startHeartbeat() {
    const box = document.querySelector("[data-claim-refresh]");
    if (!box) return;
    const url = box.dataset.claimRefresh;
    const text = box.querySelector("[data-claim-text]");
    let timer = null;
    let lastActive = Date.now();
    let heldUntil = box.dataset.heldUntil || "";
    ["keydown", "pointerdown", "scroll", "input"].forEach((kind) =>
      document.addEventListener(kind, () => { lastActive = Date.now(); }, { passive: true, capture: true }));

    function idle() {
      return Date.now() - lastActive > Number(box.dataset.idleMinutes ?? 30) * 60000;
    }

    async function beat() {
      if (idle()) {  // away from the page: let the claim lapse at its time, so that others can take the version
        if (text && box.dataset.idleTemplate) text.textContent = box.dataset.idleTemplate.replace("%s", heldUntil);
        return;
      }
      let response;
      try {
        response = await fetch(url, {
          method: "POST", credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(box), "Accept": "application/json" },
        });
      } catch (e) {
        return; // offline for a moment: the claim lasts longer than one missed beat
      }
      const data = await response.json().catch(() => ({}));
      if (response.ok && data.held) {
        heldUntil = data.expires_label;
        if (text && box.dataset.heldTemplate) text.textContent = box.dataset.heldTemplate.replace("%s", data.expires_label);
        return;
      }
      clearInterval(timer);
      claimLost(box, data.message || "");
    }

    timer = setInterval(beat, (Number(box.dataset.heartbeat) || 60) * 1000);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) { lastActive = Date.now(); beat(); } });
  }

  // Someone else holds the version now (or it was decided): the claim box says so alone, and the decision
  // forms say it where the reviewer is typing; their buttons stop, their text stays to copy.
  function claimLost(box, message) {
    box.classList.remove("claim-mine");
    box.classList.add("claim-lost");
    const line = document.createElement("span");
    line.textContent = message;
    box.querySelectorAll(":scope > span, :scope > form").forEach((el) => el.remove());
    box.prepend(line);
    const decide = document.getElementById("decide");
    if (!decide) return;
    const alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.textContent = `${message} ${box.dataset.lostNote || ""}`.trim();
    decide.querySelector(".card-head").after(alert);
    decide.querySelectorAll("form button").forEach((button) => { button.disabled = true; });
  }

  startHeartbeat();
})();
