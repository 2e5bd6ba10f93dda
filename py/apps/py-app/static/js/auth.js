// The sign-in and sign-up forms.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const signin = document.getElementById("signin-form");
  const signup = document.getElementById("signup-form");

  async function submit(form, action) {
    const error = form.querySelector(".error");
    const button = form.querySelector("button[type=submit]");
    api.showError(error, null);
    button.disabled = true;
    try {
      await action(api.formData(form));
    } catch (err) {
      api.showError(error, err);
      button.disabled = false;
    }
  }

  if (signin) {
    signin.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(signin, async function (values) {
        await api.call("POST", "/api/v1/auth/login", { email: values.email, password: values.password });
        window.location.href = sameOrigin(signin.dataset.next);
      });
    });
  }

  // The server already refuses a `next` that leaves the site; the URL parser is the
  // browser's own, so what it resolves to is where the browser would really go.
  function sameOrigin(next) {
    try {
      const target = new URL(next || "/threads", window.location.origin);
      if (target.origin === window.location.origin) {
        return target.pathname + target.search + target.hash;
      }
    } catch (err) {
      // Not a URL at all: fall through to the default.
    }
    return "/threads";
  }

  if (signup) {
    signup.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(signup, async function (values) {
        await api.call("POST", "/api/v1/auth/register", values);
        await api.call("POST", "/api/v1/auth/login", { email: values.email, password: values.password });
        window.location.href = "/threads";
      });
    });
  }
});
