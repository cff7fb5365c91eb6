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

  function closeOpen() {
    const open = document.querySelectorAll("details.decision[open]");
    open.forEach((d) => { d.open = false; });
    if (document.activeElement) document.activeElement.blur();
    return open.length > 0;
  }

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
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
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

    async function beat() {
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
        if (text && box.dataset.heldTemplate) text.textContent = box.dataset.heldTemplate.replace("%s", data.expires_label);
        return;
      }
      clearInterval(timer);
      box.classList.remove("claim-mine");
      box.classList.add("claim-lost");
      if (text) text.textContent = data.message || "";
    }

    timer = setInterval(beat, (Number(box.dataset.heartbeat) || 60) * 1000);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) beat(); });
  }

  startHeartbeat();
})();
