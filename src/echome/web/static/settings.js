// Settings and Channels: copy a field (the API token shown once, the embed code, the link code) to
// the clipboard; the field stays selectable without JS. The status line is the one after the button.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var box = button.closest(".field, .link-code, .card") || document;
    var status = box.querySelector("[data-copy-status]") || document.querySelector("[data-copy-status]");
    var done = button.getAttribute("data-copy-done") || "Copied. Keep it somewhere safe.";
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () { if (status) status.textContent = done; },
        function () { field.select(); if (status) status.textContent = "Select the text and copy it."; }
      );
    });
  });
})();
