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

  function menuButton(title) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "item-menu";
    button.setAttribute("aria-label", "Actions for " + title);
    button.setAttribute("aria-haspopup", "menu");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "chat-item-menu");
    // The same three dots as the server's copy of the list.
    const dots = document.querySelector(".chat-list .item-menu svg, #thread-menu-button svg");
    if (dots) button.append(dots.cloneNode(true));
    return button;
  }

  function chatItem(thread, currentId, withMenu) {
    const item = document.createElement("li");
    item.dataset.id = thread.id;
    item.dataset.title = thread.title;
    const link = document.createElement("a");
    link.className = "chat-link";
    link.href = "/threads/" + encodeURIComponent(thread.id);
    // A search hit opens on the branch its text is on.
    if (thread.matched_message_id) link.href += "?message=" + encodeURIComponent(thread.matched_message_id);
    link.textContent = thread.title;
    if (thread.id === currentId) link.setAttribute("aria-current", "page");
    item.append(link);
    if (withMenu) item.append(menuButton(thread.title));
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
      const button = item.querySelector(".item-menu");
      if (button) button.setAttribute("aria-label", "Actions for " + title);
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
          if (!list.querySelector('li[data-id="' + CSS.escape(t.id) + '"]')) list.append(chatItem(t, currentThreadId(), true));
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

  // Rename, archive or restore, delete any chat of the list from its ⋯ button.
  function setupItemMenu() {
    const menu = document.getElementById("chat-item-menu");
    let target = null;

    function close() {
      if (target) target.querySelector(".item-menu").setAttribute("aria-expanded", "false");
      menu.hidden = true;
      target = null;
    }

    function open(item, button) {
      target = item;
      const archived = item.closest("ul").dataset.status === "archived";
      menu.querySelector('[data-action="archive"]').hidden = archived;
      menu.querySelector('[data-action="unarchive"]').hidden = !archived;
      menu.hidden = false;
      const box = button.getBoundingClientRect();
      menu.style.top = Math.min(box.bottom + 4, window.innerHeight - menu.offsetHeight - 8) + "px";
      menu.style.left = Math.max(8, box.right - menu.offsetWidth) + "px";
      button.setAttribute("aria-expanded", "true");
      menu.querySelector("button:not([hidden])").focus();
    }

    sidebar.addEventListener("click", function (event) {
      const button = event.target.closest("button.item-menu");
      if (!button) return;
      const item = button.closest("li");
      const again = target === item;
      close();
      if (!again) open(item, button);
    });
    document.addEventListener("click", function (event) {
      if (!menu.hidden && !event.target.closest("#chat-item-menu, button.item-menu")) close();
    });
    sidebar.querySelector(".chat-list").addEventListener("scroll", close, { passive: true });
    menu.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      const item = target;
      close();
      if (item) item.querySelector(".item-menu").focus();
    });
    menu.addEventListener("click", async function (event) {
      const choice = event.target.closest("button[data-action]");
      if (!choice || !target) return;
      const item = target;
      close();
      const id = item.dataset.id;
      const url = "/api/v1/threads/" + encodeURIComponent(id);
      const current = id === currentThreadId();
      try {
        if (choice.dataset.action === "rename") {
          const title = window.prompt("New title", item.dataset.title);
          if (title === null || !title.trim()) return;
          const thread = await api.call("PATCH", url, { title: title });
          renameChat(id, thread.title);
          if (current) {
            document.getElementById("thread-title").textContent = thread.title;
            document.title = thread.title + " · py-app";
          }
        } else if (choice.dataset.action === "delete") {
          if (!window.confirm("Delete “" + item.dataset.title + "” and all its messages?")) return;
          await api.call("DELETE", url);
          if (current) window.location.href = "/threads";
          else item.remove();
        } else {
          await api.call("PATCH", url, { archived: choice.dataset.action === "archive" });
          window.location.reload(); // the chat moves between the lists (and its composer changes)
        }
      } catch (err) {
        window.alert(err.message);
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
    setupItemMenu();
    setupShortcuts();
    const current = sidebar.querySelector('[aria-current="page"]');
    if (current) current.scrollIntoView({ block: "nearest" });
  });

  return { renameChat: renameChat, touchChat: touchChat, focusComposer: focusComposer };
})();
