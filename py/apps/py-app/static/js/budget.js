// The chat page's budget warning (#budget-warning): shown by the server once 80% of a
// budget is used, and refreshed from /api/v1/me/usage whenever a reply on the page
// ends, so the warning appears during a conversation, not only at the next load. It
// watches the messages' data-status rather than the event stream, which is chat.js's.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const banner = document.getElementById("budget-warning");
  const list = document.getElementById("messages");
  if (!banner || !list) return;
  const FINAL = ["complete", "failed", "cancelled"];

  function describe(budget) {
    const name = budget.period === "day" ? "today's" : "this month's";
    const resets = new Date(budget.resets_at).toISOString().slice(0, 16).replace("T", " ") + " UTC";
    if (budget.used_fraction >= 1) return "You have used all of " + name + " budget; it resets at " + resets + ".";
    return "You have used " + Math.floor(budget.used_fraction * 100) + "% of " + name + " budget; it resets at " + resets + ".";
  }

  async function refresh() {
    let usage;
    try {
      const response = await fetch("/api/v1/me/usage", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      usage = await response.json();
    } catch (error) {
      return; // offline: the next reply tries again
    }
    const warned = usage.budgets.filter(function (b) { return b.used_fraction >= 0.8; });
    if (!warned.length) { banner.hidden = true; return; }
    warned.sort(function (a, b) { return b.used_fraction - a.used_fraction; });
    banner.textContent = describe(warned[0]);
    banner.hidden = false;
  }

  let pending = null;
  function isEnded(node) {
    return node instanceof HTMLElement && node.classList.contains("message") && FINAL.includes(node.dataset.status);
  }

  // A reply ends by its status changing, or by the server's copy replacing it.
  new MutationObserver(function (records) {
    const ended = records.some(function (r) {
      return isEnded(r.target) || Array.prototype.some.call(r.addedNodes, isEnded);
    });
    if (ended && !pending) pending = setTimeout(function () { pending = null; refresh(); }, 300);
  }).observe(list, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
});
