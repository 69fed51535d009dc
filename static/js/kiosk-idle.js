// Kiosk mode (KIOSK_IDLE_MINUTES): on a shared wall tablet, log the person out and go
// back to the home page after that many minutes without a touch, a key or the pointer.
// Loaded from a file, with its settings in data- attributes, so no inline script is needed.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var idleMs = parseFloat(script.dataset.idleMinutes) * 60 * 1000;
  if (!(idleMs > 0)) return;
  var logoutUrl = script.dataset.logoutUrl;
  var homeUrl = script.dataset.homeUrl || "/";
  var csrfToken = script.dataset.csrfToken;
  var last = Date.now();
  var leaving = false;

  function touched() { last = Date.now(); }

  ["pointerdown", "pointermove", "keydown", "touchstart", "wheel", "scroll"].forEach(function (name) {
    window.addEventListener(name, touched, { passive: true, capture: true });
  });

  function goHome() { window.location.assign(homeUrl); }

  function check() {
    // Measured against the clock, not a single timer: a tablet that slept still logs out.
    if (leaving || Date.now() - last < idleMs) return;
    leaving = true;
    fetch(logoutUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken },
      redirect: "manual"
    }).then(goHome, goHome);
  }

  window.setInterval(check, Math.min(idleMs / 4, 15000));
})();
