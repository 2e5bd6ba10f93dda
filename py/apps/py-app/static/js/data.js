// The Import and export page: start a job through the API, poll it, show its
// progress and, at the end, its download (an export) or its report (an import).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const POLL_MS = 1000;

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function show(box, job) {
    box.hidden = false;
    const progress = box.querySelector("progress");
    const status = box.querySelector(".job-status");
    progress.max = Math.max(job.total || 1, 1);
    progress.value = job.status === "complete" ? progress.max : job.done;
    const counted = job.total === null ? "" : " " + job.done + " of " + job.total;
    const labels = { queued: "Waiting to start…", running: "Working…" + counted,
      complete: "Done." + counted, failed: "Failed: " + (job.error || ""),
      cancelled: "Cancelled.", expired: "Expired: start a new export." };
    status.textContent = labels[job.status] || job.status;
    const link = box.querySelector(".download");
    if (link) {
      link.hidden = !job.download_url;
      if (job.download_url) link.href = job.download_url;
    }
    const report = box.querySelector(".report");
    if (report && job.kind === "import" && job.status === "complete") showReport(report, job.report);
  }

  // The counts, then what needs a look (failed, skipped: with why), then the imported
  // chats folded away (an export of years holds thousands).
  function showReport(report, data) {
    report.hidden = false;
    report.querySelector(".summary").textContent = data.imported + " imported, " +
      data.skipped + " skipped, " + data.failed + " failed" +
      (data.omitted ? " (" + data.omitted + " not listed here)" : "") + ".";
    const entries = data.entries || [];
    const problems = entries.filter(function (e) { return e.outcome !== "imported"; });
    const imported = entries.filter(function (e) { return e.outcome === "imported"; });
    const table = report.querySelector(".problems");
    const body = table.querySelector("tbody");
    body.replaceChildren();
    problems.forEach(function (entry) {
      const row = document.createElement("tr");
      row.className = entry.outcome;
      const title = document.createElement("td");
      title.append(entry.thread_id ? chatLink(entry) : entry.title);
      const outcome = document.createElement("td");
      outcome.textContent = entry.outcome;
      const reason = document.createElement("td");
      reason.textContent = entry.reason || "";
      row.append(title, outcome, reason);
      body.append(row);
    });
    table.hidden = problems.length === 0;
    const folded = report.querySelector(".imported");
    folded.querySelector("summary").textContent = imported.length < data.imported
      ? "The first " + imported.length + " imported chats"
      : imported.length === 1 ? "1 imported chat" : imported.length + " imported chats";
    const list = folded.querySelector("ul");
    list.replaceChildren();
    imported.forEach(function (entry) {
      const item = document.createElement("li");
      item.append(chatLink(entry));
      list.append(item);
    });
    folded.hidden = imported.length === 0;
  }

  function chatLink(entry) {
    const link = document.createElement("a");
    link.href = "/threads/" + entry.thread_id;
    link.textContent = entry.title;
    return link;
  }

  async function follow(box, kind, job) {
    show(box, job);
    while (job.status === "queued" || job.status === "running") {
      await new Promise(function (resolve) { setTimeout(resolve, POLL_MS); });
      job = await api.call("GET", "/api/v1/" + kind + "s/" + job.id);
      show(box, job);
    }
  }

  const exportBox = document.getElementById("export-job");
  const exportButton = document.getElementById("start-export");
  const exportError = document.querySelector("#export .error");
  document.getElementById("export-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    api.showError(exportError, null);
    exportButton.disabled = true;
    try {
      await follow(exportBox, "export", await api.call("POST", "/api/v1/exports"));
    } catch (err) {
      api.showError(exportError, err);
    } finally {
      exportButton.disabled = false;
    }
  });

  const importForm = document.getElementById("import-form");
  const importBox = document.getElementById("import-job");
  const importError = document.querySelector("#import .error");
  importForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    api.showError(importError, null);
    // Said before sending it: a browser that is still uploading when the server
    // answers 413 reports a network error instead.
    const file = importForm.querySelector("input[type=file]").files[0];
    const limit = Number(importForm.dataset.maxBytes);
    if (file && limit && file.size > limit) {
      const most = limit >= 1048576 ? Math.floor(limit / 1048576) + " MB" : Math.ceil(limit / 1024) + " KB";
      api.showError(importError, new Error("The file is larger than " + most +
        ", the most this server imports."));
      return;
    }
    const button = importForm.querySelector("button");
    button.disabled = true;
    try {
      // Multipart, so not api.call (which sends JSON); the same CSRF header.
      const response = await fetch("/api/v1/imports", {
        method: "POST",
        body: new FormData(importForm),
        headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await response.json().catch(function () { return null; });
      if (!response.ok) {
        throw new Error((data && data.error && data.error.message) || "Upload failed (" + response.status + ").");
      }
      importBox.querySelector(".report").hidden = true;
      await follow(importBox, "import", data);
    } catch (err) {
      api.showError(importError, err);
    } finally {
      button.disabled = false;
    }
  });

  // The newest job of each kind, so a reload shows where it is.
  [["export", exportBox], ["import", importBox]].forEach(async function (pair) {
    try {
      const data = await api.call("GET", "/api/v1/" + pair[0] + "s");
      if (data.items.length) await follow(pair[1], pair[0], data.items[0]);
    } catch (err) { /* the page works without it */ }
  });
});
