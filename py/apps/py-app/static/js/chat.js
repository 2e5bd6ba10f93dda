// The chat page: send, stream replies from the thread's events, stop, retry.
//
// Live text is shown as plain text while it streams (textContent, never HTML); when a
// reply ends, the page swaps in the server's rendering (sanitised Markdown). Deltas
// are applied strictly in order by their `seq`, so a replayed or repeated delta is
// never shown twice; after a gap the page waits for the final text instead.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const chat = document.getElementById("chat");
  const threadId = chat.dataset.threadId;
  const list = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("composer-input");
  const sendButton = document.getElementById("send");
  const stopButton = document.getElementById("stop");
  const errorBox = document.getElementById("chat-error");
  const apiBase = "/api/v1/threads/" + encodeURIComponent(threadId);
  const FINAL = ["complete", "failed", "cancelled"];

  // Per message element: the next delta `seq` expected.
  const progress = new Map();

  function element(id) { return document.getElementById("m-" + id); }

  function unfinished() {
    return list.querySelector('.message.assistant[data-status="pending"], .message.assistant[data-status="streaming"]');
  }

  function updateControls() {
    const running = unfinished();
    stopButton.hidden = !running;
    sendButton.disabled = input.disabled || !!running;
  }

  function scrollToEnd() {
    const nearEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
    if (nearEnd) window.scrollTo(0, document.body.scrollHeight);
  }

  function addMessage(id, role, status, text) {
    if (element(id)) return element(id);
    const article = document.createElement("article");
    article.className = "message " + role + " " + status;
    article.id = "m-" + id;
    article.dataset.id = id;
    article.dataset.role = role;
    article.dataset.status = status;
    const body = document.createElement("div");
    body.className = "body";
    article.append(body);
    if (role === "user") {
      body.textContent = text;
    } else {
      body.classList.add("streaming", "typing");
      const meta = document.createElement("div");
      meta.className = "meta";
      const state = document.createElement("span");
      state.className = "state";
      state.textContent = status === "pending" ? "Waiting for a free slot…" : "Writing…";
      meta.append(state);
      article.append(meta);
    }
    list.append(article);
    scrollToEnd();
    updateControls();
    return article;
  }

  async function replaceWithServerCopy(id) {
    try {
      const response = await fetch("/threads/" + encodeURIComponent(threadId) + "/messages/" + encodeURIComponent(id), {
        headers: { Accept: "text/html" }, credentials: "same-origin",
      });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      const fresh = template.content.firstElementChild;
      const old = element(id);
      if (fresh && old) {
        old.replaceWith(fresh);
        // The server's copy may still be unfinished (a gap while it streams): keep waiting.
        if (!FINAL.includes(fresh.dataset.status)) fresh.classList.add("catching-up");
      }
    } finally {
      updateControls();
      scrollToEnd();
    }
  }

  function onDelta(data) {
    let article = element(data.message_id);
    if (!article) article = addMessage(data.message_id, "assistant", "streaming", "");
    if (FINAL.includes(article.dataset.status) || article.classList.contains("catching-up")) return;
    const expected = progress.get(data.message_id) || 0;
    if (data.seq < expected) return; // already shown
    if (data.seq > expected) {
      // Deltas are missing (trimmed from the bus): show the saved text, wait for the end.
      article.classList.add("catching-up");
      replaceWithServerCopy(data.message_id);
      return;
    }
    progress.set(data.message_id, expected + 1);
    article.dataset.status = "streaming";
    article.classList.remove("pending");
    article.classList.add("streaming");
    const state = article.querySelector(".meta .state");
    if (state) state.textContent = "Writing…";
    article.querySelector(".body").append(document.createTextNode(data.text));
    scrollToEnd();
    updateControls();
  }

  function onFinal(data) {
    const article = element(data.message_id);
    if (article && FINAL.includes(article.dataset.status) && !article.classList.contains("catching-up")) return;
    if (!article) addMessage(data.message_id, "assistant", "streaming", "");
    element(data.message_id).dataset.status = "finishing";
    replaceWithServerCopy(data.message_id);
  }

  const source = new EventSource(apiBase + "/events");
  source.addEventListener("message.created", function (event) {
    const data = JSON.parse(event.data);
    addMessage(data.message_id, data.role, data.status, data.text);
  });
  source.addEventListener("message.delta", function (event) { onDelta(JSON.parse(event.data)); });
  ["message.completed", "message.failed", "message.cancelled"].forEach(function (type) {
    source.addEventListener(type, function (event) { onFinal(JSON.parse(event.data)); });
  });
  source.addEventListener("thread.updated", function (event) {
    const data = JSON.parse(event.data);
    document.getElementById("thread-title").textContent = data.title;
    document.title = data.title + " · py-app";
  });
  source.addEventListener("thread.deleted", function () {
    source.close();
    window.location.href = "/threads";
  });
  source.addEventListener("resync", function () {
    // Events this page had not seen are gone from the bus: start over from the database.
    source.close();
    window.location.reload();
  });
  source.addEventListener("error", function () {
    // EventSource reconnects by itself (with Last-Event-ID); say so only if it gave up.
    if (source.readyState === EventSource.CLOSED) {
      api.showError(errorBox, new Error("Live updates stopped; reload the page."));
    }
  });

  async function send(content) {
    api.showError(errorBox, null);
    sendButton.disabled = true;
    try {
      const turn = await api.call("POST", apiBase + "/messages", { content: content });
      addMessage(turn.user_message.id, "user", "complete", turn.user_message.text);
      addMessage(turn.assistant_message.id, "assistant", turn.assistant_message.status, "");
      return true;
    } catch (err) {
      api.showError(errorBox, err);
      return false;
    } finally {
      updateControls();
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const content = input.value;
    if (!content.trim() || sendButton.disabled) return;
    if (await send(content)) input.value = "";
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  stopButton.addEventListener("click", async function () {
    const running = unfinished();
    if (!running) return;
    stopButton.disabled = true;
    try {
      await api.call("POST", apiBase + "/messages/" + encodeURIComponent(running.dataset.id) + "/cancel");
    } catch (err) {
      api.showError(errorBox, err);
    } finally {
      stopButton.disabled = false;
    }
  });

  list.addEventListener("click", function (event) {
    const retry = event.target.closest("button.retry");
    if (!retry) return;
    // Ask again: the user message before the failed reply.
    let previous = retry.closest(".message").previousElementSibling;
    while (previous && previous.dataset.role !== "user") previous = previous.previousElementSibling;
    if (previous) send(previous.querySelector(".body").textContent);
  });

  document.getElementById("rename").addEventListener("click", async function () {
    const current = document.getElementById("thread-title").textContent;
    const title = window.prompt("New title", current);
    if (title === null || !title.trim()) return;
    try {
      const thread = await api.call("PATCH", apiBase, { title: title });
      document.getElementById("thread-title").textContent = thread.title;
    } catch (err) { api.showError(errorBox, err); }
  });

  document.getElementById("model-select").addEventListener("change", async function (event) {
    try {
      await api.call("PATCH", apiBase, { model: event.target.value });
    } catch (err) { api.showError(errorBox, err); }
  });

  updateControls();
  window.scrollTo(0, document.body.scrollHeight);
  if (!input.disabled) input.focus();
});
