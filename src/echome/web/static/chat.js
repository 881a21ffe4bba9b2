// Test chat and Conversations: small enhancements over pages that work without script.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // -- Test chat: Ctrl/Cmd+Enter sends; after an answer the box is emptied and focused again ----
  function setUpChat() {
    var form = document.querySelector("[data-chat-form]");
    if (!form) {
      return;
    }
    document.addEventListener("keydown", function (event) {
      var box = event.target;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && box.form && box.form.hasAttribute("data-chat-form")) {
        event.preventDefault();
        box.form.requestSubmit();
      }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "chat-thread") {
        // The form now follows the newest message: a resend of it is recognised as a double submit.
        var empty = document.getElementById("chat-empty");
        if (empty) {
          empty.remove();
        }
        var newest = event.detail.target.querySelector(".msg:last-child");
        var after = document.getElementById("chat-after");
        if (newest && after) {
          after.value = newest.id.replace(/^m-/, "");
        }
        var current = document.querySelector("[data-chat-form]");
        var box = current && current.querySelector("textarea[name=message]");
        if (box) {
          box.value = "";
          box.focus();
        }
        var last = event.detail.target.lastElementChild;
        if (last) {
          last.scrollIntoView({ block: "nearest" });
        }
      }
    });
  }

  // -- Conversations: j / k move between threads, r replies; filters apply when changed ---------
  function threadLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-thread]"));
  }

  function setUpInbox() {
    var moved = false;
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
        return;
      }
      var reply = document.querySelector(".reply-form textarea");
      if (event.key === "r" && reply) {
        event.preventDefault();
        reply.focus();
        return;
      }
      if (event.key !== "j" && event.key !== "k") {
        return;
      }
      var links = threadLinks();
      if (!links.length) {
        return;
      }
      var at = links.findIndex(function (a) {
        return a.getAttribute("aria-current") === "true";
      });
      var next = event.key === "j" ? Math.min(links.length - 1, at + 1) : Math.max(0, at - 1);
      if (at === -1) {
        next = 0;
      }
      if (next === at) {
        return;
      }
      event.preventDefault();
      moved = true;
      links[next].click();
    });
    document.body.addEventListener("htmx:afterSettle", function () {
      if (!moved) {
        return;
      }
      moved = false;
      var current = document.querySelector('[data-thread][aria-current="true"]');
      if (current) {
        current.focus();
      }
    });
    document.addEventListener("change", function (event) {
      var form = event.target.form;
      if (form && form.hasAttribute("data-autosubmit")) {
        form.requestSubmit();
      }
    });
  }

  function start() {
    setUpChat();
    setUpInbox();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
