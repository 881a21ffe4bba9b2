// Echo Me pages: small enhancements over pages that already work without script.
// No inline handlers anywhere: behaviour is attached here, by data- attributes.
(function () {
  "use strict";

  var THEME_KEY = "echome-theme";

  function each(selector, fn, scope) {
    Array.prototype.forEach.call((scope || document).querySelectorAll(selector), fn);
  }

  // -- colour theme: automatic (the device's), light or dark, remembered in this browser --------
  function currentTheme() {
    try {
      return window.localStorage.getItem(THEME_KEY) || "auto";
    } catch (e) {
      return "auto";
    }
  }

  function applyTheme(choice) {
    var root = document.documentElement;
    if (choice === "light" || choice === "dark") {
      root.setAttribute("data-theme", choice);
    } else {
      root.removeAttribute("data-theme");
    }
    try {
      if (choice === "auto") {
        window.localStorage.removeItem(THEME_KEY);
      } else {
        window.localStorage.setItem(THEME_KEY, choice);
      }
    } catch (e) {
      // not remembered; still applied to this page
    }
    each("[data-theme-choice]", function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-theme-choice") === choice));
    });
  }

  function setUpTheme() {
    each("[data-theme-toggle]", function (group) {
      group.hidden = false;
    });
    applyTheme(currentTheme());
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-theme-choice]");
      if (button) {
        applyTheme(button.getAttribute("data-theme-choice"));
      }
    });
  }

  // -- navigation drawer (phone widths) -------------------------------------------------------
  function setUpNav() {
    var toggle = document.querySelector("[data-nav-toggle]");
    var sidebar = document.getElementById("sidebar");
    var backdrop = document.querySelector(".sidebar-backdrop");
    if (!toggle || !sidebar) {
      return;
    }
    function setOpen(open) {
      document.body.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", String(open));
      if (backdrop) {
        backdrop.hidden = !open;
      }
      if (open) {
        var first = sidebar.querySelector("a, button, summary");
        if (first) {
          first.focus();
        }
      }
    }
    toggle.addEventListener("click", function () {
      setOpen(!document.body.classList.contains("nav-open"));
    });
    each("[data-nav-close]", function (el) {
      el.addEventListener("click", function () {
        setOpen(false);
        toggle.focus();
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // -- persona menu: close on Escape or a click elsewhere ---------------------------------------
  function setUpSwitcher() {
    each("[data-switcher]", function (menu) {
      document.addEventListener("click", function (event) {
        if (menu.open && !menu.contains(event.target)) {
          menu.open = false;
        }
      });
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    });
  }

  // -- show / hide a password ----------------------------------------------------------------
  function setUpReveal() {
    each("[data-reveal]", function (button) {
      var input = document.getElementById(button.getAttribute("data-reveal"));
      if (!input) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        button.textContent = show ? "Hide" : "Show";
        button.setAttribute("aria-pressed", String(show));
      });
    });
  }

  // -- a form is sent once: a second click while the first is on its way does nothing -----------
  function setUpSubmitOnce() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute("data-once")) {
        return;
      }
      if (form.getAttribute("data-sending") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sending", "true");
      each("button[type=submit]", function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("is-busy");
      }, form);
    });
    // Back/forward cache: a page shown again must be usable again.
    window.addEventListener("pageshow", function () {
      each("form[data-sending]", function (form) {
        form.removeAttribute("data-sending");
        each("button.is-busy", function (button) {
          button.removeAttribute("aria-disabled");
          button.classList.remove("is-busy");
        }, form);
      });
    });
  }

  // -- toasts ----------------------------------------------------------------------------------
  function dismiss(toast) {
    toast.classList.add("is-leaving");
    window.setTimeout(function () {
      toast.remove();
    }, 200);
  }

  function setUpToasts() {
    document.addEventListener("click", function (event) {
      var close = event.target.closest("[data-dismiss]");
      if (close) {
        dismiss(close.closest("[data-toast]"));
      }
    });
    each("[data-toast]:not([data-toast-stay])", function (toast) {
      window.setTimeout(function () {
        if (document.body.contains(toast) && !toast.matches(":hover, :focus-within")) {
          dismiss(toast);
        }
      }, 8000);
    });
    // The address's ?done= produced the toast; a reload should not show it again.
    if (window.history.replaceState && /[?&]done=/.test(window.location.search)) {
      var url = new URL(window.location.href);
      url.searchParams.delete("done");
      window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
    }
  }

  // -- htmx: failed requests say so instead of doing nothing -----------------------------------
  function setUpHtmx() {
    document.body.addEventListener("htmx:responseError", function (event) {
      showToast(
        event.detail.xhr && event.detail.xhr.status === 403
          ? "This page is out of date. Reload it and try again."
          : "That did not work. Check your connection and try again.",
        "danger"
      );
    });
    document.body.addEventListener("htmx:sendError", function () {
      showToast("Echo Me cannot be reached. Check your connection and try again.", "danger");
    });
  }

  function showToast(message, tone) {
    var region = document.querySelector(".toasts");
    if (!region) {
      return;
    }
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (tone || "success");
    toast.setAttribute("data-toast", "");
    var text = document.createElement("p");
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", "Dismiss this message");
    close.textContent = "\u00d7";
    toast.appendChild(text);
    toast.appendChild(close);
    region.appendChild(toast);
  }

  function start() {
    setUpTheme();
    setUpNav();
    setUpSwitcher();
    setUpReveal();
    setUpSubmitOnce();
    setUpToasts();
    setUpHtmx();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
