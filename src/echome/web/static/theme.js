// Runs in <head>, before the page is drawn, so a remembered theme never flashes the other one.
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var choice = window.localStorage.getItem("echome-theme");
    if (choice === "light" || choice === "dark") {
      root.setAttribute("data-theme", choice);
    }
  } catch (e) {
    // Storage blocked (private mode, policies): the device's theme applies.
  }
})();
