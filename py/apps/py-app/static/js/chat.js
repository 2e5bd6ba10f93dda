// The chat page: send, stream replies from the thread's events, stop, retry, copy, and
// the versions of a message (edit, regenerate, ‹ n / m ›), each a branch of the chat.
//
// A streaming reply's text is collected from its deltas, strictly in `seq` order (a
// replayed or repeated delta is never counted twice; after a gap the page waits for the
// final text instead), and sent to the server at most every RENDER_INTERVAL ms to be
// rendered as a stored message is (sanitised Markdown, highlighted code, MathML). When
// the reply ends the page swaps in the server's copy of the message, so what was shown
// while it streamed and what a reload shows are the same HTML.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const chat = document.getElementById("chat");
  const threadId = chat.dataset.threadId;
  const archived = chat.dataset.archived === "true";
  const list = document.getElementById("messages");
  const scroller = document.getElementById("conversation");
  const form = document.getElementById("composer");
  const input = document.getElementById("composer-input");
  const sendButton = document.getElementById("send");
  const stopButton = document.getElementById("stop");
  const hint = document.getElementById("composer-hint");
  const jump = document.getElementById("jump");
  const errorBox = document.getElementById("chat-error");
  const connection = document.getElementById("connection");
  const apiBase = "/api/v1/threads/" + encodeURIComponent(threadId);
  const FINAL = ["complete", "failed", "cancelled"];
  const RENDER_INTERVAL = 150;
  const HINT = hint.textContent;

  // Per streaming reply: the next `seq` expected, its text so far, and its rendering.
  const streams = new Map();

  function element(id) { return document.getElementById("m-" + id); }

  function stream(id) {
    if (!streams.has(id)) {
      streams.set(id, { seq: 0, text: "", final: false, timer: null, inflight: false, lastRender: 0 });
    }
    return streams.get(id);
  }

  function unfinished() {
    return list.querySelector('.message.assistant[data-status="pending"], .message.assistant[data-status="streaming"], .message.assistant[data-status="finishing"]');
  }

  // --- Scrolling: follow the reply unless the reader scrolled up. ---
  let follow = true;
  function atBottom() { return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48; }
  function toBottom() {
    follow = true;
    scroller.scrollTop = scroller.scrollHeight;
    jump.hidden = true;
  }
  function grown() {
    if (follow) toBottom();
    else jump.hidden = false;
  }
  scroller.addEventListener("scroll", function () {
    follow = atBottom();
    if (follow) jump.hidden = true;
  }, { passive: true });
  jump.addEventListener("click", function () { toBottom(); input.focus(); });

  // --- Composer ---
  function fit() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 200) + "px";
  }

  function updateControls() {
    const running = unfinished();
    stopButton.hidden = !running;
    sendButton.hidden = !!running;
    sendButton.disabled = input.disabled || !!running || !input.value.trim();
    if (running && !archived) {
      hint.textContent = "A reply is being written: wait for it, or stop it with Esc.";
      hint.classList.add("reason");
    } else {
      hint.textContent = HINT;
      hint.classList.remove("reason");
    }
  }

  // --- Messages ---
  function decorate(root) {
    root.querySelectorAll(".codeblock .code-head").forEach(function (head) {
      if (head.querySelector(".copy-code")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy-code";
      button.textContent = "Copy code";
      head.append(button);
    });
  }

  function addMessage(id, role, status, text) {
    if (element(id)) return element(id);
    // This page shows it after all (its own regeneration, told by the event first).
    foreign.delete(id);
    const empty = document.getElementById("empty-chat");
    if (empty) empty.remove();
    const article = document.createElement("article");
    article.className = "message " + role + " " + status;
    article.id = "m-" + id;
    article.dataset.id = id;
    article.dataset.role = role;
    article.dataset.status = status;
    if (role !== "user") article.setAttribute("aria-busy", "true"); // read once it ends
    const source = document.createElement("template");
    source.className = "source";
    source.content.append(document.createTextNode(text || ""));
    const body = document.createElement("div");
    body.className = "body";
    const meta = document.createElement("div");
    meta.className = "meta";
    article.append(source, body, meta);
    if (role === "user") {
      body.textContent = text;
      const copy = document.createElement("button");
      copy.type = "button";
      copy.className = "copy-message";
      copy.setAttribute("aria-label", "Copy message");
      copy.textContent = "Copy";
      const edit = document.createElement("button");
      edit.type = "button";
      edit.className = "edit-message";
      edit.setAttribute("aria-label", "Edit message");
      edit.textContent = "Edit";
      meta.append(copy, edit);
    } else {
      body.classList.add("streaming", "typing");
      const state = document.createElement("span");
      state.className = "state";
      state.textContent = status === "pending" ? "Waiting for a free slot…" : "Writing…";
      meta.append(state);
    }
    list.append(article);
    grown();
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
        decorate(fresh);
        old.replaceWith(fresh);
        // The server's copy may still be unfinished (a gap while it streams): keep waiting.
        if (!FINAL.includes(fresh.dataset.status)) fresh.classList.add("catching-up");
      }
    } finally {
      updateControls();
      grown();
    }
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function scheduleRender(id) {
    const state = stream(id);
    if (state.final || state.timer || state.inflight) return;
    const wait = Math.max(0, state.lastRender + RENDER_INTERVAL - Date.now());
    state.timer = setTimeout(function () {
      state.timer = null;
      render(id);
    }, wait);
  }

  async function render(id) {
    const state = stream(id);
    if (state.final) return;
    const text = state.text;
    state.inflight = true;
    state.lastRender = Date.now();
    let html = null;
    try {
      const response = await fetch("/render/markdown", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/html", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ text: text }),
        credentials: "same-origin",
      });
      if (response.ok) html = await response.text();
    } catch (err) {
      html = null; // offline for a moment: the plain text below, formatted on the next try
    } finally {
      state.inflight = false;
    }
    const article = element(id);
    if (state.final || !article) return;
    const body = article.querySelector(".body");
    if (html === null) {
      body.textContent = text;
    } else {
      body.innerHTML = html; // sanitised by the server, as every stored message is
      decorate(body);
    }
    body.classList.remove("typing");
    body.classList.add("rendered");
    grown();
    if (state.text !== text) scheduleRender(id);
  }

  function onDelta(data) {
    if (foreign.has(data.message_id)) return;
    let article = element(data.message_id);
    if (!article) article = addMessage(data.message_id, "assistant", "streaming", "");
    if (FINAL.includes(article.dataset.status) || article.classList.contains("catching-up")) return;
    const state = stream(data.message_id);
    if (data.seq < state.seq) return; // already shown
    if (data.seq > state.seq) {
      // Deltas are missing (trimmed from the bus): show the saved text, wait for the end.
      article.classList.add("catching-up");
      replaceWithServerCopy(data.message_id);
      return;
    }
    state.seq += 1;
    state.text += data.text;
    article.dataset.status = "streaming";
    article.classList.remove("pending");
    article.classList.add("streaming");
    const label = article.querySelector(".meta .state");
    if (label) label.textContent = "Writing…";
    scheduleRender(data.message_id);
    updateControls();
  }

  function onFinal(data) {
    if (foreign.has(data.message_id)) return;
    const article = element(data.message_id);
    if (article && FINAL.includes(article.dataset.status) && !article.classList.contains("catching-up")) return;
    if (!article) addMessage(data.message_id, "assistant", "streaming", "");
    const state = stream(data.message_id);
    state.final = true;
    clearTimeout(state.timer);
    element(data.message_id).dataset.status = "finishing";
    replaceWithServerCopy(data.message_id);
  }

  // --- Branches: the page shows one; events of the others are not its own. ---
  const renderedAt = Date.parse(chat.dataset.renderedAt);
  const foreign = new Set(); // messages on a branch this page does not show

  function lastShown() {
    const shown = list.querySelectorAll(".message");
    return shown.length ? shown[shown.length - 1].dataset.id : "";
  }

  // Show the chat again from the server, once: an action of this page and the event it
  // causes must not reload it twice (the second would cut the first off).
  let leaving = false;
  // While this page changes the branch itself, the events that change causes are not
  // another tab's: the page shows the result once its own request has answered.
  let acting = false;
  function showAgain() {
    if (leaving) return;
    leaving = true;
    if (source) source.close();
    window.location.reload();
  }

  // Whether an event happened after the page was rendered (the stream replays older ones).
  function isNew(data) { return Date.parse(data.occurred_at) > renderedAt; }

  function onCreated(data) {
    if (element(data.message_id)) return;
    if ((data.parent_id || "") !== lastShown()) {
      foreign.add(data.message_id);
      // Another tab posted on another branch, which the thread now shows: follow it.
      if (isNew(data) && !acting) showAgain();
      return;
    }
    const article = addMessage(data.message_id, data.role, data.status, data.text);
    article.dataset.parent = data.parent_id || "";
  }

  async function regenerate(article) {
    api.showError(errorBox, null);
    acting = true;
    try {
      const reply = await api.call("POST", apiBase + "/messages/" + encodeURIComponent(article.dataset.id) + "/regenerate");
      if (article !== list.lastElementChild) {
        showAgain(); // the replies after it belong to the old version
        return;
      }
      article.remove();
      addMessage(reply.id, "assistant", reply.status, "").dataset.parent = reply.parent_id || "";
      toBottom();
      window.shell.touchChat(threadId);
    } catch (err) {
      api.showError(errorBox, err);
    } finally {
      acting = false;
    }
  }

  async function showVersion(messageId) {
    api.showError(errorBox, null);
    acting = true;
    try {
      await api.call("PUT", apiBase + "/active", { message_id: messageId });
      showAgain();
    } catch (err) {
      acting = false;
      api.showError(errorBox, err);
    }
  }

  // Editing a message posts the new text under its parent: a new version beside it.
  function startEdit(article) {
    if (article.querySelector(".edit-box")) return;
    const body = article.querySelector(".body");
    const box = document.createElement("form");
    box.className = "edit-box";
    const area = document.createElement("textarea");
    area.maxLength = input.maxLength;
    area.setAttribute("aria-label", "Edit message");
    area.value = article.querySelector("template.source").content.textContent;
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = "Save and send";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
    const actions = document.createElement("div");
    actions.className = "edit-actions";
    actions.append(cancel, save);
    box.append(area, actions);
    body.hidden = true;
    article.append(box);
    area.focus();
    function close() { box.remove(); body.hidden = false; }
    cancel.addEventListener("click", close);
    area.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.stopPropagation(); close(); }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); box.requestSubmit(); }
    });
    box.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (!area.value.trim()) return;
      save.disabled = true;
      acting = true;
      try {
        await api.call("POST", apiBase + "/messages", { content: area.value, parent_id: article.dataset.parent || null });
        showAgain();
      } catch (err) {
        acting = false;
        save.disabled = false;
        api.showError(errorBox, err);
      }
    });
  }

  // --- Live events, resumed after a lost connection ---
  let source = null;
  let lastEventId = null;
  let retryDelay = 1000;

  function showConnection(text) {
    connection.textContent = text || "";
    connection.hidden = !text;
  }

  function on(type, handler) {
    source.addEventListener(type, function (event) {
      if (event.lastEventId) lastEventId = event.lastEventId;
      handler(event.data ? JSON.parse(event.data) : {});
    });
  }

  function connect() {
    const query = lastEventId ? "?last_event_id=" + encodeURIComponent(lastEventId) : "";
    source = new EventSource(apiBase + "/events" + query);
    source.addEventListener("open", function () {
      showConnection(null);
      retryDelay = 1000;
    });
    on("message.created", onCreated);
    on("message.delta", onDelta);
    ["message.completed", "message.failed", "message.cancelled"].forEach(function (type) { on(type, onFinal); });
    on("thread.updated", function (data) {
      // Another tab showed another branch: follow it.
      if (isNew(data) && !acting && data.active_leaf_id && data.active_leaf_id !== lastShown()) {
        showAgain();
        return;
      }
      document.getElementById("thread-title").textContent = data.title;
      document.getElementById("thread-title").title = data.title;
      document.title = data.title + " · py-app";
      window.shell.renameChat(threadId, data.title);
    });
    on("thread.deleted", function () {
      source.close();
      window.location.href = "/threads";
    });
    on("resync", function () {
      // Events this page had not seen are gone from the bus: start over from the database.
      source.close();
      window.location.reload();
    });
    source.addEventListener("error", function () {
      showConnection("Connection lost. Reconnecting…");
      // EventSource retries by itself (with Last-Event-ID) unless the server refused.
      if (source.readyState === EventSource.CLOSED) reconnectLater();
    });
  }

  async function reconnectLater() {
    try {
      await api.call("GET", "/api/v1/me"); // signed out elsewhere: api.call goes to sign-in
    } catch (err) {
      if (err.status === 401) return;
    }
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }

  window.addEventListener("pagehide", function () { if (source) source.close(); });

  // --- Sending, stopping, retrying ---
  async function send(content) {
    api.showError(errorBox, null);
    sendButton.disabled = true;
    try {
      const turn = await api.call("POST", apiBase + "/messages", { content: content });
      addMessage(turn.user_message.id, "user", "complete", turn.user_message.text);
      addMessage(turn.assistant_message.id, "assistant", turn.assistant_message.status, "");
      toBottom();
      window.shell.touchChat(threadId);
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
    if (await send(content)) {
      input.value = "";
      fit();
      updateControls();
    }
    input.focus();
  });

  input.addEventListener("input", function () {
    fit();
    updateControls();
    grown();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  async function stop() {
    const running = unfinished();
    if (!running || stopButton.disabled) return;
    stopButton.disabled = true;
    try {
      await api.call("POST", apiBase + "/messages/" + encodeURIComponent(running.dataset.id) + "/cancel");
    } catch (err) {
      api.showError(errorBox, err);
    } finally {
      stopButton.disabled = false;
    }
  }

  stopButton.addEventListener("click", stop);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !event.shiftKey && unfinished() && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      stop();
    }
  });

  async function copy(button, text) {
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (err) {
      button.textContent = "Copy failed";
    }
    setTimeout(function () { button.textContent = label; }, 1500);
  }

  list.addEventListener("click", function (event) {
    const copyCode = event.target.closest("button.copy-code");
    if (copyCode) {
      copy(copyCode, copyCode.closest(".codeblock").querySelector("pre code").textContent);
      return;
    }
    const copyMessage = event.target.closest("button.copy-message");
    if (copyMessage) {
      copy(copyMessage, copyMessage.closest(".message").querySelector("template.source").content.textContent);
      return;
    }
    const version = event.target.closest("button.version");
    if (version) {
      if (version.dataset.to) showVersion(version.dataset.to);
      return;
    }
    const edit = event.target.closest("button.edit-message");
    if (edit) {
      startEdit(edit.closest(".message"));
      return;
    }
    // Retry a failed reply, or write any reply again: a new version beside it.
    const again = event.target.closest("button.retry, button.regenerate");
    if (again) regenerate(again.closest(".message"));
  });

  // --- The chat's own actions: rename, model, archive, restore, delete ---
  const menuButton = document.getElementById("thread-menu-button");
  const menu = document.getElementById("thread-menu");
  function setMenu(open) {
    menu.hidden = !open;
    menuButton.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button").focus();
  }
  menuButton.addEventListener("click", function () { setMenu(menu.hidden); });
  document.addEventListener("click", function (event) {
    if (!menu.hidden && !event.target.closest(".menu")) setMenu(false);
  });
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.stopPropagation(); setMenu(false); menuButton.focus(); }
  });

  async function change(body, then) {
    setMenu(false);
    api.showError(errorBox, null);
    try {
      const thread = await api.call("PATCH", apiBase, body);
      then(thread);
    } catch (err) { api.showError(errorBox, err); }
  }

  document.getElementById("rename").addEventListener("click", function () {
    const current = document.getElementById("thread-title").textContent;
    const title = window.prompt("New title", current);
    if (title === null || !title.trim()) { setMenu(false); return; }
    change({ title: title }, function (thread) {
      document.getElementById("thread-title").textContent = thread.title;
      document.title = thread.title + " · py-app";
      window.shell.renameChat(threadId, thread.title);
    });
  });
  ["archive", "unarchive", "restore-inline"].forEach(function (id) {
    const button = document.getElementById(id);
    if (!button) return;
    button.addEventListener("click", function () {
      change({ archived: id === "archive" }, function () { window.location.reload(); });
    });
  });
  document.getElementById("delete").addEventListener("click", async function () {
    setMenu(false);
    const title = document.getElementById("thread-title").textContent;
    if (!window.confirm("Delete “" + title + "” and all its messages?")) return;
    try {
      source.close();
      await api.call("DELETE", apiBase);
      window.location.href = "/threads";
    } catch (err) { api.showError(errorBox, err); }
  });

  document.getElementById("model-select").addEventListener("change", function (event) {
    change({ model: event.target.value }, function () {});
  });

  decorate(list);
  connect();
  fit();
  updateControls();
  toBottom();
  if (!input.disabled && !window.matchMedia("(max-width: 48rem)").matches) input.focus();
});
