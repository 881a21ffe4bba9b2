// Settings: copy the API token shown once to the clipboard (the field stays selectable without JS).
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () { if (status) status.textContent = "Copied. Keep it somewhere safe."; },
        function () { field.select(); if (status) status.textContent = "Select the token and copy it."; }
      );
    });
  });
})();
