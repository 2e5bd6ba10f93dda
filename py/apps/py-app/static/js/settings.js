// The settings page: change the password, see and end sessions, delete the account.
// (The API tokens card is js/tokens.js.) Every change goes through /api/v1/me/...
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const passwordForm = document.getElementById("password-form");
  const passwordError = passwordForm.querySelector(".error");
  const passwordDone = document.getElementById("password-done");
  const sessionsBody = document.querySelector("#sessions tbody");
  const sessionsError = document.querySelector("#sessions").closest(".card").querySelector(".error");
  const deleteForm = document.getElementById("delete-form");
  const deleteError = deleteForm.closest(".card").querySelector(".error");

  // "Chrome on Linux" from a user agent; anything unknown is shown as it came.
  function describe(agent) {
    if (!agent) return "Unknown device";
    const browsers = [[/Edg\//, "Edge"], [/Firefox\//, "Firefox"], [/Chrome\//, "Chrome"], [/Safari\//, "Safari"]];
    const systems = [[/Android/, "Android"], [/iPhone|iPad/, "iOS"], [/Windows/, "Windows"],
      [/Mac OS X|Macintosh/, "macOS"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]];
    const browser = browsers.find(function (pair) { return pair[0].test(agent); });
    const system = systems.find(function (pair) { return pair[0].test(agent); });
    if (!browser) return agent.length > 60 ? agent.slice(0, 60) + "…" : agent;
    return browser[1] + (system ? " on " + system[1] : "");
  }

  function cell(text, title) {
    const td = document.createElement("td");
    td.textContent = text;
    if (title) td.title = title;
    return td;
  }

  async function loadSessions() {
    const data = await api.call("GET", "/api/v1/me/sessions");
    sessionsBody.replaceChildren();
    data.items.forEach(function (session) {
      const row = document.createElement("tr");
      row.dataset.id = session.id;
      row.append(
        cell(describe(session.user_agent), session.user_agent || ""),
        cell(session.address || "—"),
        cell(api.formatTime(session.created_at)),
        cell(api.formatTime(session.last_seen_at)));
      const actions = document.createElement("td");
      if (session.current) {
        row.classList.add("current");
        const here = document.createElement("span");
        here.className = "this";
        here.textContent = "This browser";
        actions.append(here);
      } else {
        const end = document.createElement("button");
        end.type = "button";
        end.className = "danger small";
        end.textContent = "End session";
        end.setAttribute("aria-label", "End the session of " + describe(session.user_agent));
        end.addEventListener("click", async function () {
          api.showError(sessionsError, null);
          try {
            await api.call("DELETE", "/api/v1/me/sessions/" + encodeURIComponent(session.id));
            await loadSessions();
          } catch (err) { api.showError(sessionsError, err); }
        });
        actions.append(end);
      }
      row.append(actions);
      sessionsBody.append(row);
    });
  }

  passwordForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    api.showError(passwordError, null);
    passwordDone.hidden = true;
    const values = api.formData(passwordForm);
    if (values.new_password !== values.confirm_password) {
      api.showError(passwordError, new Error("The two new passwords differ."));
      return;
    }
    try {
      await api.call("POST", "/api/v1/me/password", {
        current_password: values.current_password, new_password: values.new_password,
      });
      passwordForm.reset();
      passwordDone.hidden = false;
      // The notice of a one-time password has done its job; the other pages open again.
      const required = document.getElementById("password-required");
      if (required) required.hidden = true;
      await loadSessions();
    } catch (err) { api.showError(passwordError, err); }
  });

  deleteForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    api.showError(deleteError, null);
    const values = api.formData(deleteForm);
    if (!window.confirm("Delete your account and everything in it? This cannot be undone.")) return;
    try {
      await api.call("DELETE", "/api/v1/me", { password: values.password });
      window.location.href = "/signup";
    } catch (err) { api.showError(deleteError, err); }
  });

  loadSessions().catch(function (err) { api.showError(sessionsError, err); });
});
