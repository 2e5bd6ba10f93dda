// The administrator's pages: every change goes through /api/v1/admin/..., then the page
// reloads to show the server's view (and the audit entry it wrote). Values shown once
// (a one-time password, an invite link) are shown in place instead.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const userCard = document.getElementById("user");
  if (userCard) userPage(userCard);
  const registrationForm = document.getElementById("registration-form");
  if (registrationForm) registrationPage(registrationForm);

  function errorOf(element) {
    return element.closest(".card").querySelector(".error");
  }

  // Runs `action`, showing its failure next to `element`; true when it succeeded.
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

  function userPage(card) {
    const path = "/api/v1/admin/users/" + encodeURIComponent(card.dataset.id);
    const roleForm = document.getElementById("role-form");
    if (roleForm) {
      roleForm.addEventListener("submit", async function (event) {
        event.preventDefault();
        const role = api.formData(roleForm).role;
        if (await attempt(roleForm, function () { return api.call("PATCH", path, { role: role }); })) {
          window.location.reload();
        }
      });
    }
    [["disable-user", "disabled"], ["enable-user", "active"]].forEach(function (pair) {
      const button = document.getElementById(pair[0]);
      if (!button) return;
      button.addEventListener("click", async function () {
        if (pair[1] === "disabled" && !window.confirm("Disable " + card.dataset.email + "? They are signed out everywhere at once.")) return;
        button.disabled = true;
        if (await attempt(button, function () { return api.call("PATCH", path, { status: pair[1] }); })) {
          window.location.reload();
        } else {
          button.disabled = false;
        }
      });
    });
    const reset = document.getElementById("reset-password");
    if (reset) {
      reset.addEventListener("click", async function () {
        if (!window.confirm("Reset the password of " + card.dataset.email + "? Their current password stops working.")) return;
        let result = null;
        if (await attempt(reset, async function () { result = await api.call("POST", path + "/password-reset"); })) {
          document.getElementById("one-time-password-value").textContent = result.one_time_password;
          document.getElementById("one-time-password").hidden = false;
        }
      });
    }
    const deleteForm = document.getElementById("delete-user-form");
    if (deleteForm) {
      deleteForm.addEventListener("submit", async function (event) {
        event.preventDefault();
        const error = errorOf(deleteForm);
        if (api.formData(deleteForm).confirm.trim().toLowerCase() !== card.dataset.email) {
          api.showError(error, new Error("Type the account's email to confirm."));
          return;
        }
        if (await attempt(deleteForm, function () { return api.call("DELETE", path); })) {
          window.location.href = "/admin/users";
        }
      });
    }
  }

  function registrationPage(form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const mode = api.formData(form).mode;
      if (await attempt(form, function () { return api.call("PUT", "/api/v1/admin/registration", { mode: mode }); })) {
        window.location.reload();
      }
    });
    const reset = document.getElementById("registration-reset");
    if (reset) {
      reset.addEventListener("click", async function () {
        if (await attempt(form, function () { return api.call("PUT", "/api/v1/admin/registration", { mode: null }); })) {
          window.location.reload();
        }
      });
    }

    const inviteForm = document.getElementById("invite-form");
    inviteForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const values = api.formData(inviteForm);
      const body = { days: Number(values.days) };
      if (values.note.trim()) body.note = values.note.trim();
      let created = null;
      const button = inviteForm.querySelector("button[type=submit]");
      button.disabled = true;
      if (await attempt(inviteForm, async function () { created = await api.call("POST", "/api/v1/admin/invites", body); })) {
        document.getElementById("new-invite-url").textContent = created.url;
        document.getElementById("new-invite").hidden = false;
        const none = document.getElementById("no-invites");
        if (none) none.hidden = true;  // the list shows it from the next visit on
        inviteForm.reset();
      }
      button.disabled = false;
    });
    document.getElementById("copy-invite").addEventListener("click", async function (event) {
      const text = document.getElementById("new-invite-url").textContent;
      try {
        await navigator.clipboard.writeText(text);
        event.target.textContent = "Copied";
      } catch (err) {
        window.getSelection().selectAllChildren(document.getElementById("new-invite-url"));
      }
    });
    document.querySelectorAll(".revoke-invite").forEach(function (button) {
      button.addEventListener("click", async function () {
        const row = button.closest("tr");
        if (await attempt(button, function () { return api.call("DELETE", "/api/v1/admin/invites/" + encodeURIComponent(row.dataset.id)); })) {
          window.location.reload();
        }
      });
    });
  }
});
