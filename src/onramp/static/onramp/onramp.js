/* Onramp operator portal: progressive enhancements only. Every page works without this file. */
(function () {
  "use strict";

  function announce(status, text) {
    if (!status) { return; }
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 30);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  /* Copy buttons: <button data-copy="id-of-input" hidden>; shown only when they can work. */
  function setUpCopyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) { return; }
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(target.value || target.textContent).then(function () {
          announce(status, "Copied");
        }, function () {
          target.focus();
          if (target.select) { target.select(); }
          announce(status, "Press Ctrl+C to copy");
        });
      });
    });
    document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  /* Secret inputs get a Show/Hide toggle. */
  function setUpSecretToggles() {
    document.querySelectorAll("input[type=password][data-reveal]").forEach(function (input) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn--small";
      button.textContent = "Show";
      button.setAttribute("aria-controls", input.id);
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", "Show the secret");
      button.addEventListener("click", function () {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        button.textContent = show ? "Hide" : "Show";
        button.setAttribute("aria-pressed", show ? "true" : "false");
        button.setAttribute("aria-label", show ? "Hide the secret" : "Show the secret");
      });
      var wrapper = document.createElement("div");
      wrapper.className = "secret-input";
      input.parentNode.insertBefore(wrapper, input);
      wrapper.appendChild(input);
      wrapper.appendChild(button);
      /* Never leave a secret visible when the form is sent. */
      if (input.form) {
        input.form.addEventListener("submit", function () { input.type = "password"; });
      }
    });
  }

  /* Filter forms apply as soon as a choice changes. */
  function setUpAutoFilters() {
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
      });
    });
  }

  /* Put focus on the error summary so keyboard and screen-reader users hear it first. */
  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }

  function start() {
    setUpCopyButtons();
    setUpSecretToggles();
    setUpAutoFilters();
    focusErrorSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
