// The API tokens card (settings page and /settings/tokens): create (shown once), list, revoke.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const form = document.getElementById("token-form");
  const error = document.querySelector("#token-section > .error");
  const body = document.querySelector("#tokens tbody");
  const empty = document.getElementById("no-tokens");

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  async function load() {
    const data = await api.call("GET", "/api/v1/tokens");
    body.replaceChildren();
    data.items.forEach(function (token) {
      const row = document.createElement("tr");
      row.dataset.id = token.id;
      row.append(
        cell(token.name), cell(token.prefix + "…"), cell(api.formatTime(token.created_at)),
        cell(token.last_used_at ? api.formatTime(token.last_used_at) : "never"),
        cell(token.expires_at ? api.formatTime(token.expires_at) : "never"));
      const actions = document.createElement("td");
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "danger small";
      revoke.textContent = "Revoke";
      revoke.addEventListener("click", async function () {
        if (!window.confirm("Revoke the token “" + token.name + "”? Programs using it stop working.")) return;
        try {
          await api.call("DELETE", "/api/v1/tokens/" + encodeURIComponent(token.id));
          await load();
        } catch (err) { api.showError(error, err); }
      });
      actions.append(revoke);
      row.append(actions);
      body.append(row);
    });
    empty.hidden = data.items.length > 0;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    api.showError(error, null);
    const values = api.formData(form);
    const payload = { name: values.name };
    if (values.expires_on) payload.expires_at = new Date(values.expires_on + "T23:59:59").toISOString();
    try {
      const created = await api.call("POST", "/api/v1/tokens", payload);
      document.getElementById("new-token-value").textContent = created.token;
      document.getElementById("new-token").hidden = false;
      form.reset();
      await load();
    } catch (err) { api.showError(error, err); }
  });

  load().catch(function (err) { api.showError(error, err); });
});
