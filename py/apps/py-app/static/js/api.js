// Shared by every page: calls to the JSON API with the session's CSRF token, and sign-out.
"use strict";

window.api = (function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Resolves to the parsed JSON body (or null); rejects with an Error whose message is
  // the API's user-facing message and whose `status` and `code` come from the response.
  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
    let response;
    try {
      response = await fetch(path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (err) {
      const error = new Error("The server cannot be reached; check your connection.");
      error.status = 0;
      throw error;
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (err) { data = null; }
    }
    if (!response.ok) {
      const info = (data && data.error) || {};
      const error = new Error(info.message || "Request failed (" + response.status + ").");
      error.status = response.status;
      error.code = info.code;
      if (response.status === 401 && !path.startsWith("/api/v1/auth/")) {
        window.location.href = "/signin?next=" + encodeURIComponent(window.location.pathname);
      }
      throw error;
    }
    return data;
  }

  function showError(element, error) {
    if (!element) return;
    element.textContent = error ? error.message || String(error) : "";
    element.hidden = !error;
  }

  function formData(form) {
    const values = {};
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    return values;
  }

  function formatTime(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleString();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const signOut = document.getElementById("sign-out");
    if (signOut) {
      signOut.addEventListener("click", async function () {
        try { await call("POST", "/api/v1/auth/logout"); } catch (err) { /* gone already */ }
        window.location.href = "/signin";
      });
    }
  });

  return { call: call, showError: showError, formData: formData, formatTime: formatTime };
})();
