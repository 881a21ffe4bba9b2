// Persona and Voice pages: play a moment of a recording in place, check a file's size before it is
// sent, and say why a generated voice could not be played. The pages work without this file: the
// play links open the audio, the forms post, and the server checks sizes again.
(function () {
  "use strict";

  var player = null;
  var playing = null;

  function stop() {
    if (player) {
      player.pause();
    }
    if (playing) {
      playing.classList.remove("is-playing");
      playing.setAttribute("aria-pressed", "false");
      playing = null;
    }
  }

  function play(link) {
    if (playing === link) {
      stop();
      return;
    }
    stop();
    if (!player) {
      player = new Audio();
      player.addEventListener("ended", stop);
      player.addEventListener("error", stop);
    }
    player.src = link.getAttribute("href");
    playing = link;
    link.classList.add("is-playing");
    link.setAttribute("aria-pressed", "true");
    var started = player.play();
    if (started && started.catch) {
      started.catch(stop);
    }
  }

  function setUpPlayLinks() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-play]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) {
        return;
      }
      event.preventDefault();
      play(link);
    });
    document.addEventListener("keydown", function (event) {
      // Space on a play link plays, as on a button (a link only answers Enter).
      var link = event.target.closest && event.target.closest("a[data-play]");
      if (link && event.key === " ") {
        event.preventDefault();
        play(link);
      }
    });
  }

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0) + " MB";
  }

  function tooLarge(input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var files = Array.prototype.slice.call(input.files || []);
    return files.filter(function (f) {
      return max && f.size > max;
    });
  }

  function showFileError(input) {
    var error = document.getElementById(input.id + "-error");
    var big = tooLarge(input);
    var field = input.closest(".field");
    if (!error) {
      return big.length === 0;
    }
    if (big.length) {
      error.querySelector("[data-error-text]").textContent =
        big[0].name + " is " + megabytes(big[0].size) + ", larger than the " +
        input.getAttribute("data-max-label") + " limit. Choose a shorter recording, or paste its video link instead.";
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      if (field) {
        field.classList.add("has-error");
      }
      return false;
    }
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    if (field) {
      field.classList.remove("has-error");
    }
    return true;
  }

  function setUpFileLimits() {
    // A file chosen before this script ran (a slow connection) is checked now.
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-bytes]"), function (input) {
      if (input.files && input.files.length) {
        showFileError(input);
      }
    });
    document.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("input[type=file][data-max-bytes]")) {
        showFileError(event.target);
      }
    });
    // Before app.js marks the form as sending: capture phase on the document runs first.
    document.addEventListener(
      "submit",
      function (event) {
        var input = event.target.querySelector && event.target.querySelector("input[type=file][data-max-bytes]");
        if (input && !showFileError(input)) {
          event.preventDefault();
          event.stopImmediatePropagation();
          input.focus();
        }
      },
      true
    );
  }

  function setUpSpeechErrors() {
    document.addEventListener(
      "error",
      function (event) {
        var audio = event.target;
        if (!audio || audio.tagName !== "AUDIO") {
          return;
        }
        var box = audio.closest(".say-result");
        var message = box && box.querySelector("[data-speech-error]");
        if (!message || !audio.currentSrc) {
          return;
        }
        fetch(audio.currentSrc, { credentials: "same-origin" })
          .then(function (response) {
            return response.ok ? "" : response.text();
          })
          .then(function (text) {
            if (text) {
              message.querySelector("span").textContent = "Your voice could not say this: " + text;
              message.hidden = false;
            }
          })
          .catch(function () {});
      },
      true
    );
  }

  function start() {
    setUpPlayLinks();
    setUpFileLimits();
    setUpSpeechErrors();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
