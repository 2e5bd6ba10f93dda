// The new-chat page: the first message creates the chat, then the chat page shows
// its reply streaming (its event stream replays the reply from its first delta).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const form = document.getElementById("new-thread");
  if (!form) return; // the search and archive listings have no composer
  const input = document.getElementById("composer-input");
  const send = document.getElementById("send");
  const model = document.getElementById("new-thread-model");
  const error = document.getElementById("new-thread-error");

  function fit() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 200) + "px";
    send.disabled = !input.value.trim();
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const content = input.value;
    if (!content.trim() || form.dataset.busy) return;
    form.dataset.busy = "true";
    send.disabled = true;
    api.showError(error, null);
    try {
      const thread = await api.call("POST", "/api/v1/threads", { model: model.value });
      const url = "/threads/" + encodeURIComponent(thread.id);
      try {
        await api.call("POST", "/api/v1/threads/" + encodeURIComponent(thread.id) + "/messages", { content: content });
      } catch (err) {
        api.showError(error, err);
        window.location.href = url; // the chat exists: the message can be sent again there
        return;
      }
      window.location.href = url;
    } catch (err) {
      api.showError(error, err);
      delete form.dataset.busy;
      fit();
    }
  });

  input.addEventListener("input", fit);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  fit();
  if (!window.matchMedia("(max-width: 48rem)").matches) input.focus();
});
