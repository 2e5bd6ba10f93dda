// The chat list: start a chat, rename, archive or restore, delete.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const form = document.getElementById("new-thread");
  const formError = document.getElementById("new-thread-error");
  const listError = document.getElementById("list-error");

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    api.showError(formError, null);
    const values = api.formData(form);
    const body = { model: values.model };
    if (values.title && values.title.trim()) body.title = values.title;
    try {
      const thread = await api.call("POST", "/api/v1/threads", body);
      window.location.href = "/threads/" + encodeURIComponent(thread.id);
    } catch (err) { api.showError(formError, err); }
  });

  document.getElementById("thread-list").addEventListener("click", async function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    const item = button.closest("li");
    const url = "/api/v1/threads/" + encodeURIComponent(item.dataset.id);
    api.showError(listError, null);
    try {
      if (button.classList.contains("rename")) {
        const title = window.prompt("New title", item.dataset.title);
        if (title === null || !title.trim()) return;
        await api.call("PATCH", url, { title: title });
      } else if (button.classList.contains("archive")) {
        await api.call("PATCH", url, { archived: true });
      } else if (button.classList.contains("unarchive")) {
        await api.call("PATCH", url, { archived: false });
      } else if (button.classList.contains("delete")) {
        if (!window.confirm("Delete “" + item.dataset.title + "” and all its messages?")) return;
        await api.call("DELETE", url);
      } else {
        return;
      }
      window.location.reload();
    } catch (err) { api.showError(listError, err); }
  });
});
