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
        window.location.href = signin.dataset.next || "/threads";
      });
    });
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
