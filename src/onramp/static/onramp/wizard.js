// The public wizard: show/hide the secret, progress text while Microsoft is asked.
(function () {
  var secret = document.getElementById("id_client_secret");
  var toggle = document.querySelector("[data-toggle-secret]");
  if (secret && toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var show = secret.type === "password";
      secret.type = show ? "text" : "password";
      toggle.textContent = show ? "Hide" : "Show";
      toggle.setAttribute("aria-pressed", show ? "true" : "false");
    });
  }
  var form = document.querySelector(".wz-form");
  var progress = document.querySelector("[data-progress]");
  if (form && progress) {
    form.addEventListener("submit", function () {
      if (secret) { secret.type = "password"; }
      progress.textContent = "Checking with Microsoft — this can take a few seconds…";
    });
  }
  var alert = document.getElementById("alert");
  if (alert) { alert.focus(); }
})();
