// The signed-in app around every page: the chat list (fold on phones, search, more
// chats), keyboard shortcuts and their help dialog. Pages talk to it through
// `window.shell` (a chat renamed or active again moves in the list).
"use strict";

window.shell = (function () {
  const phone = window.matchMedia("(max-width: 48rem)");
  let shellElement, sidebar, openButton, scrim;

  function isOpen() { return shellElement.classList.contains("sidebar-open"); }

  function setOpen(open) {
    shellElement.classList.toggle("sidebar-open", open);
    scrim.hidden = !open;
    if (openButton) openButton.setAttribute("aria-expanded", String(open));
    if (open) {
      // Into the drawer, on the current chat (not the search box: on a phone that
      // would open the keyboard over the list).
      const current = sidebar.querySelector('[aria-current="page"]') || document.getElementById("new-chat");
      current.focus();
    } else if (openButton && sidebar.contains(document.activeElement)) {
      openButton.focus();
    }
  }

  function chatItem(thread, currentId) {
    const item = document.createElement("li");
    item.dataset.id = thread.id;
    item.dataset.title = thread.title;
    const link = document.createElement("a");
    link.className = "chat-link";
    link.href = "/threads/" + encodeURIComponent(thread.id);
    link.textContent = thread.title;
    if (thread.id === currentId) link.setAttribute("aria-current", "page");
    item.append(link);
    return item;
  }

  function currentThreadId() {
    const chat = document.getElementById("chat");
    return chat ? chat.dataset.threadId : null;
  }

  // A chat's new title, everywhere the list shows it.
  function renameChat(id, title) {
    document.querySelectorAll('.chat-list li[data-id="' + CSS.escape(id) + '"]').forEach(function (item) {
      item.dataset.title = title;
      item.querySelector(".chat-link").textContent = title;
    });
  }

  // A chat with new activity goes to the top of the active list.
  function touchChat(id) {
    const list = document.getElementById("threads-active");
    const item = list && list.querySelector('li[data-id="' + CSS.escape(id) + '"]');
    if (item && list.firstElementChild !== item) list.prepend(item);
  }

  function setupSearch() {
    const form = document.getElementById("sidebar-search");
    const input = document.getElementById("search");
    const results = document.getElementById("search-results");
    const all = document.getElementById("all-chats");
    const list = document.getElementById("search-list");
    const state = document.getElementById("search-state");
    let timer = null;
    let latest = 0;

    async function run() {
      const query = input.value.trim();
      const ticket = ++latest;
      if (!query) {
        results.hidden = true;
        all.hidden = false;
        return;
      }
      results.hidden = false;
      all.hidden = true;
      state.textContent = "Searching…";
      try {
        const page = await api.call("GET", "/api/v1/threads?limit=50&q=" + encodeURIComponent(query));
        if (ticket !== latest) return; // a newer search is on its way
        list.replaceChildren.apply(list, page.items.map(function (t) { return chatItem(t, currentThreadId()); }));
        state.textContent = page.items.length ? "" : "No chat matches “" + query + "”.";
      } catch (err) {
        if (ticket === latest) state.textContent = err.message;
      }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && input.value) {
        event.stopPropagation();
        input.value = "";
        run();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      run();
    });
    if (input.value.trim()) run();
  }

  function setupMore() {
    sidebar.addEventListener("click", async function (event) {
      const button = event.target.closest("button.more");
      if (!button) return;
      const list = document.getElementById(button.dataset.list);
      button.disabled = true;
      try {
        const page = await api.call("GET", "/api/v1/threads?limit=50&status=" + list.dataset.status +
          "&cursor=" + encodeURIComponent(list.dataset.cursor));
        page.items.forEach(function (t) {
          if (!list.querySelector('li[data-id="' + CSS.escape(t.id) + '"]')) list.append(chatItem(t, currentThreadId()));
        });
        list.dataset.cursor = page.next_cursor || "";
        button.hidden = !page.next_cursor;
      } catch (err) {
        button.textContent = err.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  function focusSearch() {
    if (phone.matches && !isOpen()) setOpen(true);
    const input = document.getElementById("search");
    input.focus();
    input.select();
  }

  function focusComposer() {
    const input = document.getElementById("composer-input");
    if (input && !input.disabled) input.focus();
  }

  function setupShortcuts() {
    const dialog = document.getElementById("shortcuts");
    document.getElementById("open-shortcuts").addEventListener("click", function () { dialog.showModal(); });
    document.addEventListener("keydown", function (event) {
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && event.shiftKey && key === "o") {
        event.preventDefault();
        window.location.href = "/threads";
      } else if (mod && !event.shiftKey && key === "k") {
        event.preventDefault();
        focusSearch();
      } else if (event.shiftKey && event.key === "Escape") {
        event.preventDefault();
        focusComposer();
      } else if (event.key === "Escape" && isOpen() && phone.matches) {
        setOpen(false);
      } else if (!mod && !event.altKey && !typing(event.target) && !dialog.open) {
        if (event.key === "?") {
          event.preventDefault();
          dialog.showModal();
        } else if (event.key === "/") {
          event.preventDefault();
          focusComposer();
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    shellElement = document.getElementById("shell");
    sidebar = document.getElementById("sidebar");
    openButton = document.getElementById("sidebar-open");
    scrim = document.getElementById("scrim");
    if (openButton) openButton.addEventListener("click", function () { setOpen(true); });
    document.getElementById("sidebar-close").addEventListener("click", function () { setOpen(false); });
    scrim.addEventListener("click", function () { setOpen(false); });
    phone.addEventListener("change", function () { if (!phone.matches) setOpen(false); });
    setupSearch();
    setupMore();
    setupShortcuts();
    const current = sidebar.querySelector('[aria-current="page"]');
    if (current) current.scrollIntoView({ block: "nearest" });
  });

  return { renameChat: renameChat, touchChat: touchChat, focusComposer: focusComposer };
})();
