// The administrator's Models and Budgets tabs: each change goes through
// /api/v1/admin/..., then the page reloads to show the server's view (and the audit
// entry it wrote), as admin.js does for the other tabs.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // The form's own error line (the access forms), else its card's.
  function errorOf(element) {
    const form = element.closest("form");
    return (form && form.querySelector(".error")) || element.closest(".card").querySelector(".error");
  }

  async function attempt(element, action) {
    const error = errorOf(element);
    api.showError(error, null);
    try {
      await action();
      return true;
    } catch (err) {
      api.showError(error, err);
      return false;
    }
  }

  function emails(text) {
    return text.split(/[\s,;]+/).map(function (e) { return e.trim(); }).filter(Boolean);
  }

  document.querySelectorAll(".access-form").forEach(function (form) {
    const path = "/api/v1/admin/models/" + encodeURIComponent(form.dataset.model) + "/access";
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const body = {
        everyone: form.elements.everyone.checked,
        roles: Array.from(form.querySelectorAll("input[name=role]:checked")).map(function (i) { return i.value; }),
        users: emails(form.elements.users.value),
      };
      if (await attempt(form, function () { return api.call("PUT", path, body); })) window.location.reload();
    });
    const reset = form.querySelector(".reset-access");
    if (reset) {
      reset.addEventListener("click", async function () {
        if (await attempt(form, function () { return api.call("DELETE", path); })) window.location.reload();
      });
    }
  });

  function number(value) {
    return value.trim() === "" ? null : value.trim();
  }

  document.querySelectorAll(".budget-form").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const data = api.formData(form);
      const body = { period: data.period, tokens: number(data.tokens || ""), usd: number(data.usd || "") };
      if (body.tokens !== null) body.tokens = Number(body.tokens);
      if (data.email !== undefined) body.email = data.email.trim();
      if (await attempt(form, function () { return api.call("PUT", "/api/v1/admin/budgets", body); })) window.location.reload();
    });
  });

  document.querySelectorAll(".remove-budget").forEach(function (button) {
    button.addEventListener("click", async function () {
      const query = new URLSearchParams({ period: button.dataset.period });
      if (button.dataset.email) query.set("email", button.dataset.email);
      button.disabled = true;
      if (await attempt(button, function () { return api.call("DELETE", "/api/v1/admin/budgets?" + query); })) {
        window.location.reload();
      } else {
        button.disabled = false;
      }
    });
  });
});
