/* Echo Me web chat. Embed with:
 *   <script src="https://YOUR-ECHOME/widget.js" data-persona="SLUG" async></script>
 * Optional: data-mode="page" data-target="ELEMENT-ID" (fill an element instead of a launcher),
 * data-position="left", data-theme="light|dark".
 *
 * Everything renders in a shadow root (the page's CSS and ours never meet). Message text is only
 * ever set as text (textContent), never parsed as HTML. The visitor's token is kept in this site's
 * localStorage, so the conversation survives page loads; "Delete conversation" removes it here and
 * on the server. */
(function () {
  "use strict";
  var CSS = "__ECHOME_WIDGET_CSS__";
  var script = document.currentScript || document.querySelector("script[data-persona][src*='widget.js']");
  if (!script || !window.fetch || !document.body || !document.body.attachShadow) return;
  var src = new URL(script.src, location.href);
  var base = src.origin + src.pathname.replace(/\/widget\.js$/, "");
  var persona = (script.getAttribute("data-persona") || "").trim();
  var pageMode = script.getAttribute("data-mode") === "page";
  var chats = (window.__echomeChats = window.__echomeChats || {});
  if (!persona || chats[persona]) return;
  chats[persona] = true;

  var api = base + "/api/widget/" + encodeURIComponent(persona);
  var TOKEN_KEY = "echome.visitor." + persona + "@" + base;
  var VOICE_KEY = "echome.voice";
  var HEADER = "X-Echome-Visitor";
  var URL_RE = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/g;
  var ICONS = {
    chat: "M4 5h16v11H8l-4 4z",
    close: "M6 6l12 12M18 6L6 18",
    trash: "M5 7h14M10 11v6M14 11v6M7 7l1 13h8l1-13M9 7V4h6v3",
    on: "M4 9v6h4l5 4V5L8 9zM16 9a4 4 0 010 6M18.5 6.5a8 8 0 010 11",
    off: "M4 9v6h4l5 4V5L8 9zM17 10l4 4M21 10l-4 4",
    mic: "M12 3a3 3 0 013 3v6a3 3 0 01-6 0V6a3 3 0 013-3zM5 11a7 7 0 0014 0M12 18v3",
  };

  // -- small helpers ----------------------------------------------------------------------------
  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (attrs[k] === true) node.setAttribute(k, "");
      else if (attrs[k] !== false && attrs[k] != null) node.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (kid) { if (kid) node.appendChild(kid); });
    return node;
  }
  function icon(names) {
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    names.split(" ").forEach(function (name) {
      var parts = name.split(".");
      var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      path.setAttribute("d", ICONS[parts[0]]);
      path.setAttribute("fill", parts[0] === "chat" ? "currentColor" : "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "2");
      path.setAttribute("stroke-linecap", "round");
      path.setAttribute("stroke-linejoin", "round");
      if (parts[1]) path.setAttribute("class", parts[1]);
      svg.appendChild(path);
    });
    return svg;
  }
  function store(key, value) {
    try {
      if (value == null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (e) { /* storage blocked: the conversation lasts this page load */ }
  }
  function stored(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function setText(node, text) {
    // Plain text; web addresses become links whose text is the address itself.
    node.textContent = "";
    var last = 0;
    text.replace(URL_RE, function (url, _g, at) {
      if (at > last) node.appendChild(document.createTextNode(text.slice(last, at)));
      node.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: url }));
      last = at + url.length;
      return url;
    });
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }
  function audioFormat() {
    var probe = document.createElement("audio");
    if (probe.canPlayType("audio/mpeg")) return "mp3";
    if (probe.canPlayType('audio/ogg; codecs="opus"')) return "ogg";
    return "wav";
  }

  // -- the server ----------------------------------------------------------------------------------
  var memoryToken = null;
  function token() { return stored(TOKEN_KEY) || memoryToken; }
  function forgetToken() { memoryToken = null; store(TOKEN_KEY, null); }
  function ensureToken() {
    if (token()) return Promise.resolve(token());
    return fetch(api + "/visitor", { method: "POST", credentials: "omit" }).then(function (r) {
      if (!r.ok) throw problem(r);
      return r.json().then(function (body) {
        memoryToken = body.token;
        store(TOKEN_KEY, body.token);
        return body.token;
      });
    });
  }
  function call(url, options, retried) {
    // `url`: a path of this chat's API ("/thread") or a full URL the server gave (audio).
    var full = url.charAt(0) === "/" && url.indexOf("/api/") !== 0 ? api + url : url.indexOf("/api/") === 0 ? base + url : url;
    return ensureToken().then(function (tok) {
      var headers = Object.assign({}, options.headers || {});
      headers[HEADER] = tok;
      return fetch(full, Object.assign({}, options, { headers: headers, credentials: "omit" }));
    }).then(function (r) {
      if (r.status === 401 && !retried && url.indexOf("/audio/") < 0) {
        forgetToken();
        return call(url, options, true);
      }
      return r;
    });
  }
  function problem(response) {
    var err = new Error("request failed");
    err.response = response;
    return err;
  }
  function explain(err) {
    var r = err && err.response;
    if (!r) return Promise.resolve("I couldn't reach the chat. Check your connection and try again.");
    if (r.status === 403) return Promise.resolve("This chat isn't available on this site.");
    if (r.status === 429) {
      var wait = r.headers.get("Retry-After");
      return Promise.resolve("You're sending messages too quickly." + (wait ? " Try again in " + wait + " s." : ""));
    }
    return r.json().then(function (body) {
      var detail = (body && body.detail) || "";
      if (r.status >= 500 || !detail) return "Sorry, something went wrong. Please try again.";
      return detail.charAt(0).toUpperCase() + detail.slice(1);
    }, function () { return "Sorry, something went wrong. Please try again."; });
  }
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function block(text) {
      var name = "message";
      var data = [];
      text.split(/\r?\n/).forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var at = line.indexOf(":");
        var field = at < 0 ? line : line.slice(0, at);
        var value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      });
      if (data.length) {
        try { onEvent(name, JSON.parse(data.join("\n"))); } catch (e) { /* a malformed event is skipped */ }
      }
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          if (buffer.trim()) block(buffer);
          return;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        var parts = buffer.split(/\r?\n\r?\n/);
        buffer = parts.pop();
        parts.forEach(block);
        return pump();
      });
    }
    return pump();
  }

  // -- the widget ----------------------------------------------------------------------------------
  function start() {
    var host = el("div", { "data-echome-chat": persona });
    var root = host.attachShadow({ mode: "open" });
    var theme = script.getAttribute("data-theme");
    if (theme === "dark") host.classList.add("ec-dark");
    if (theme === "light") host.classList.add("ec-light");
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", { text: CSS }));
    }

    var state = {
      open: pageMode, loaded: false, busy: false, cursor: null, ids: {}, info: null, timer: null,
      voice: stored(VOICE_KEY) !== "off", format: audioFormat(), queue: [], playing: false,
    };
    var title = el("h2", { class: "ec-title", id: "ec-title", text: "Chat" });
    var disclosure = el("p", { class: "ec-disclosure", id: "ec-disclosure", text: "You're chatting with an AI assistant." });
    var voiceToggle = el("button", { type: "button", class: "ec-icon", "aria-pressed": String(state.voice), "aria-label": "Spoken replies" }, [icon("on.ec-on off.ec-off")]);
    var deleteButton = el("button", { type: "button", class: "ec-icon", "aria-label": "Delete conversation" }, [icon("trash")]);
    var closeButton = pageMode ? null : el("button", { type: "button", class: "ec-icon", "aria-label": "Close chat" }, [icon("close")]);
    var confirmYes = el("button", { type: "button", class: "ec-send", text: "Delete" });
    var confirmNo = el("button", { type: "button", class: "ec-play", text: "Keep it" });
    var confirm = el("div", { class: "ec-confirm", role: "group", "aria-label": "Delete conversation", hidden: true }, [
      el("p", { text: "Delete this conversation? It is removed for good, here and for the seller." }), confirmYes, confirmNo,
    ]);
    var log = el("div", { class: "ec-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
    var empty = el("p", { class: "ec-empty", text: "Ask about a product, its price, sizes or delivery." });
    log.appendChild(empty);
    var status = el("p", { class: "ec-status", role: "status", "aria-live": "polite" });
    var input = el("textarea", { class: "ec-input", id: "ec-input", rows: "1", maxlength: "2000", placeholder: "Type your question", autocomplete: "off" });
    var label = el("label", { class: "ec-sr", for: "ec-input", text: "Your message" });
    var mic = el("button", { type: "button", class: "ec-mic", "aria-label": "Hold to record a question", title: "Hold to record a question", hidden: true }, [icon("mic")]);
    var send = el("button", { type: "submit", class: "ec-send", text: "Send" });
    var form = el("form", { class: "ec-form", "aria-label": "Send a message" }, [label, input, mic, send]);
    var player = el("audio", { class: "ec-player", preload: "auto" });
    var panel = el("section", { class: "ec-panel", id: "ec-panel", role: pageMode ? "region" : "dialog", "aria-labelledby": "ec-title", "aria-describedby": "ec-disclosure", hidden: !pageMode }, [
      el("header", { class: "ec-head" }, [el("div", { class: "ec-titles" }, [title, disclosure]), voiceToggle, deleteButton, closeButton]),
      confirm, log, status, form, player,
    ]);
    var badge = el("span", { class: "ec-badge", hidden: true });
    var launcher = pageMode ? null : el("button", { type: "button", class: "ec-launcher", "aria-expanded": "false", "aria-controls": "ec-panel", "aria-label": "Open chat" }, [icon("chat"), badge]);
    var wrapper = el("div", { class: "ec-root" + (pageMode ? " ec-page" : "") + (script.getAttribute("data-position") === "left" ? " ec-left" : "") }, [panel, launcher]);
    root.appendChild(wrapper);
    if (pageMode) {
      host.classList.add("ec-host-page");
      (document.getElementById(script.getAttribute("data-target") || "") || document.body).appendChild(host);
    } else {
      document.body.appendChild(host);
    }

    function say(text, isError) {
      status.textContent = text || "";
      status.classList.toggle("ec-error", !!isError);
      status.setAttribute("role", isError ? "alert" : "status");
    }
    function scroll() { log.scrollTop = log.scrollHeight; }
    function addMessage(role, text, id, audio) {
      if (id && state.ids[id]) return state.ids[id];
      if (empty.parentNode) empty.remove();
      var who = role === "user" ? "You" : role === "seller" ? (state.info ? state.info.name : "Seller") : (state.info ? state.info.name + "'s assistant" : "Assistant");
      var bubble = el("p", { class: "ec-bubble" });
      var item = el("div", { class: "ec-msg ec-msg-" + role }, [el("span", { class: "ec-who", text: who }), bubble]);
      if (text) setText(bubble, text);
      if (id) { item.setAttribute("data-id", id); state.ids[id] = item; }
      if (audio) {
        var play = el("button", { type: "button", class: "ec-play", text: "Play reply" });
        play.addEventListener("click", function () { stopAudio(); enqueue(audio); });
        item.appendChild(play);
      }
      log.appendChild(item);
      scroll();
      return item;
    }

    // -- spoken replies: fetched as they are made, played in order -------------------------------
    // One sentence is fetched at a time (a cloud voice streams one at a time; the next arrives long
    // before this one has been heard). An MP3 streamed as it is made (no Content-Length) plays through
    // MediaSource from its first bytes; anything else plays once it has all arrived.
    var canStream = !!(window.MediaSource && MediaSource.isTypeSupported && MediaSource.isTypeSupported("audio/mpeg"));
    function fetchAudio(url) {
      var got = (state.fetching || Promise.resolve()).then(function () {
        return call(url, { method: "GET" });
      }).then(function (r) {
        if (!r.ok) return { src: null };
        var type = r.headers.get("Content-Type") || "";
        if (canStream && r.body && !r.headers.get("Content-Length") && type.indexOf("audio/mpeg") === 0) return streamed(r);
        return r.blob().then(function (b) { return { src: URL.createObjectURL(b) }; });
      }).catch(function () { return { src: null }; });
      state.fetching = got.then(function (a) { return a.done; });
      return got.then(function (a) { return a.src; });
    }
    function streamed(r) {
      var chunks = [], ended = false, wake = null, reader = r.body.getReader(), ms = new MediaSource();
      function pull() {
        return reader.read().then(function (c) {
          if (c.done) ended = true; else chunks.push(c.value);
          if (wake) wake();
          return c.done ? null : pull();
        });
      }
      var done = pull().catch(function () { ended = true; if (wake) wake(); }); // broke off: play what came
      ms.addEventListener("sourceopen", function () {
        var buffer = ms.addSourceBuffer("audio/mpeg"), i = 0;
        function feed() {
          wake = null;
          if (ms.readyState !== "open" || buffer.updating) return;
          try {
            if (i < chunks.length) buffer.appendBuffer(chunks[i++]);
            else if (ended) ms.endOfStream();
            else wake = feed;
          } catch (e) { if (ms.readyState === "open") ms.endOfStream("decode"); } // the player's error event moves on
        }
        buffer.addEventListener("updateend", feed);
        feed();
      }, { once: true });
      return { src: URL.createObjectURL(ms), done: done };
    }
    function enqueue(url) {
      state.queue.push(fetchAudio(url));
      pump();
    }
    function pump() {
      if (state.playing || !state.queue.length) return;
      state.playing = true;
      var next = state.queue.shift();
      var generation = state.generation;
      next.then(function (objectUrl) {
        if (generation !== state.generation) return; // stopped meanwhile: a newer reply speaks now
        if (!objectUrl) { state.playing = false; pump(); return; }
        player.src = objectUrl;
        var playing = player.play();
        if (playing && playing.catch) playing.catch(function () { state.playing = false; pump(); });
      });
    }
    function finished() {
      if (player.src && player.src.indexOf("blob:") === 0) URL.revokeObjectURL(player.src);
      state.playing = false;
      pump();
    }
    player.addEventListener("ended", finished);
    player.addEventListener("error", finished);
    function stopAudio() {
      state.generation = (state.generation || 0) + 1;
      state.queue = [];
      state.fetching = null;
      player.pause();
      state.playing = false;
    }

    // -- asking ------------------------------------------------------------------------------------
    function busy(on) {
      state.busy = on;
      send.disabled = on;
      mic.disabled = on;
    }
    function ask(path, options, mine, typed) {
      busy(true);
      stopAudio();
      say("");
      var reply = null;
      var typing = null;
      var turn = (state.turn = (state.turn || 0) + 1); // a newer question silences this one's voice
      if (state.abort) state.abort.abort(); // and stops the server making the rest of it
      state.abort = window.AbortController ? new AbortController() : null;
      if (state.abort) options.signal = state.abort.signal;
      return call(path, options).then(function (r) {
        if (!r.ok) throw problem(r);
        return readEvents(r, function (name, data) {
          if (turn !== state.turn) return;
          if (name === "accepted") {
            typing = el("div", { class: "ec-msg ec-typing", "aria-hidden": "true" }, [el("p", { class: "ec-bubble", text: "typing\u2026" })]);
            log.appendChild(typing);
            scroll();
          } else if (name === "heard" && mine) {
            setText(mine.querySelector(".ec-bubble"), data.text);
          } else if (name === "text") {
            if (typing) { typing.remove(); typing = null; }
            if (!reply) reply = addMessage("assistant", "");
            var piece = el("span");
            setText(piece, data.text);
            reply.querySelector(".ec-bubble").appendChild(piece);
            scroll();
          } else if (name === "answer") {
            if (typing) { typing.remove(); typing = null; }
            if (!reply && data.text) reply = addMessage("assistant", data.text);
            if (reply && data.message_id) { reply.setAttribute("data-id", data.message_id); state.ids[data.message_id] = reply; }
            if (data.message_id) state.cursor = data.message_id;
            if (data.state && data.state !== "persona") showState(data.state);
            else if (data.handed_off) say((state.info ? state.info.name : "The seller") + " has been asked to reply here.");
            busy(false); // the text is complete: the next question may be asked while the voice plays
          } else if (name === "audio") {
            enqueue(data.url);
          } else if (name === "error") {
            say(data.detail || "Sorry, something went wrong.", true);
          }
        });
      }).catch(function (err) {
        if (turn !== state.turn) return; // stopped by a newer question
        if (mine && err && err.response) {
          mine.remove(); // refused: not sent, so not shown as sent
          if (typed && !input.value) { input.value = typed; resize(); }
        }
        return explain(err).then(function (text) { say(text, true); });
      }).then(function () {
        if (typing) typing.remove();
        if (turn === state.turn) busy(false);
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text || state.busy) return;
      input.value = "";
      resize();
      var mine = addMessage("user", text);
      ask("/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: text, audio: state.voice ? state.format : "none" }),
      }, mine, text).then(function () { input.focus(); });
    });
    function resize() {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
    }
    input.addEventListener("input", resize);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : send.click();
      }
    });

    // -- hold to record ------------------------------------------------------------------------------
    var recording = null;
    var canRecord = window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
    mic.hidden = !canRecord;
    function startRecording() {
      if (recording || state.busy) return;
      var rec = { stopped: false, chunks: [], started: Date.now(), recorder: null, stream: null, timer: null };
      recording = rec;
      mic.classList.add("ec-recording");
      mic.setAttribute("aria-label", "Recording: release to send");
      say("Recording\u2026 release to send.");
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        rec.stream = stream;
        if (rec.stopped) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
        var type = ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg"].filter(function (t) {
          return MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t);
        })[0];
        rec.recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
        rec.recorder.addEventListener("dataavailable", function (e) { if (e.data && e.data.size) rec.chunks.push(e.data); });
        rec.recorder.addEventListener("stop", function () { sendRecording(rec); });
        rec.started = Date.now();
        rec.recorder.start();
        var limit = ((state.info && state.info.max_voice_seconds) || 120) * 1000;
        rec.timer = setTimeout(stopRecording, limit);
      }).catch(function () {
        recording = null;
        resetMic();
        say("The microphone isn't available. You can type your question instead.", true);
      });
    }
    function resetMic() {
      mic.classList.remove("ec-recording");
      mic.setAttribute("aria-label", "Hold to record a question");
    }
    function stopRecording() {
      var rec = recording;
      if (!rec) return;
      recording = null;
      rec.stopped = true;
      clearTimeout(rec.timer);
      resetMic();
      if (rec.recorder && rec.recorder.state !== "inactive") rec.recorder.stop();
      else if (!rec.recorder) say("Hold the button while you speak.");
    }
    function sendRecording(rec) {
      if (rec.stream) rec.stream.getTracks().forEach(function (t) { t.stop(); });
      if (Date.now() - rec.started < 400 || !rec.chunks.length) {
        say("Hold the button while you speak.");
        return;
      }
      var blob = new Blob(rec.chunks, { type: rec.chunks[0].type || "audio/webm" });
      say("");
      var mine = addMessage("user", "\u2026");
      ask("/voice?audio=" + (state.voice ? state.format : "none"), {
        method: "POST",
        headers: { "Content-Type": (blob.type || "audio/webm").split(";")[0] },
        body: blob,
      }, mine);
    }
    mic.addEventListener("pointerdown", function (e) { e.preventDefault(); startRecording(); });
    ["pointerup", "pointerleave", "pointercancel"].forEach(function (name) { mic.addEventListener(name, stopRecording); });
    mic.addEventListener("keydown", function (e) {
      if ((e.key === " " || e.key === "Enter") && !e.repeat) { e.preventDefault(); startRecording(); }
    });
    mic.addEventListener("keyup", function (e) {
      if (e.key === " " || e.key === "Enter") { e.preventDefault(); stopRecording(); }
    });
    mic.addEventListener("click", function (e) { e.preventDefault(); });

    // -- the conversation: loaded on open, new replies (the seller's too) fetched while open ------------
    function loadInfo() {
      return fetch(api, { credentials: "omit" }).then(function (r) {
        if (!r.ok) throw problem(r);
        return r.json();
      }).then(function (info) {
        state.info = info;
        title.textContent = info.name;
        disclosure.textContent = info.disclosure;
        input.setAttribute("maxlength", String(info.max_message_chars));
        if (launcher) launcher.setAttribute("aria-label", "Chat with " + info.name);
      });
    }
    function showState(value) {
      var name = state.info ? state.info.name : "The seller";
      if (value === "waiting") say(name + " has been asked to reply and will answer here.");
      else if (value === "seller") say(name + " is replying personally.");
    }
    function refresh(all) {
      if (!token() || state.busy || (!all && !state.loaded)) return Promise.resolve();
      var path = "/thread" + (state.cursor && !all ? "?after=" + encodeURIComponent(state.cursor) : "");
      return call(path, { method: "GET" }).then(function (r) {
        if (!r.ok) throw problem(r);
        return r.json();
      }).then(function (thread) {
        var fresh = false;
        thread.messages.forEach(function (m) {
          if (state.ids[m.id] || (m.role === "user" && !all)) return; // the visitor's own are shown as sent
          addMessage(m.role, m.text, m.id, m.audio);
          fresh = fresh || m.role !== "user";
        });
        if (thread.cursor) state.cursor = thread.cursor;
        if (fresh && !all && !state.open && badge) badge.hidden = false;
        showState(thread.state);
      });
    }
    function schedule() {
      clearTimeout(state.timer);
      var wait = state.open && document.visibilityState === "visible" ? 4000 : 30000;
      state.timer = setTimeout(function () {
        refresh(false).catch(function () { /* try again at the next tick */ }).then(schedule);
      }, wait);
    }
    function load(loud) {
      if (state.loading) return state.loading;
      state.loading = loadInfo().then(function () { return refresh(true); }).then(function () {
        state.loaded = true;
      }).catch(function (err) {
        state.loading = null; // opening the chat again tries again
        if (loud) return explain(err).then(function (text) { say(text, true); });
      });
      return state.loading;
    }
    function open() {
      state.open = true;
      wrapper.classList.add("ec-open");
      panel.hidden = false;
      if (launcher) { launcher.setAttribute("aria-expanded", "true"); badge.hidden = true; }
      if (!state.loaded) load(true);
      input.focus();
      schedule();
    }
    function close() {
      if (pageMode) return;
      state.open = false;
      wrapper.classList.remove("ec-open");
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
      schedule();
    }
    if (launcher) launcher.addEventListener("click", function () { state.open ? close() : open(); });
    if (closeButton) closeButton.addEventListener("click", close);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
    voiceToggle.addEventListener("click", function () {
      state.voice = !state.voice;
      voiceToggle.setAttribute("aria-pressed", String(state.voice));
      store(VOICE_KEY, state.voice ? "on" : "off");
      if (!state.voice) stopAudio();
    });
    deleteButton.addEventListener("click", function () { confirm.hidden = false; confirmNo.focus(); });
    confirmNo.addEventListener("click", function () { confirm.hidden = true; deleteButton.focus(); });
    confirmYes.addEventListener("click", function () {
      confirm.hidden = true;
      if (!token()) { say("There is no conversation to delete."); return; }
      state.turn = (state.turn || 0) + 1; // a reply still arriving is dropped
      if (state.abort) state.abort.abort();
      busy(false);
      call("/thread", { method: "DELETE" }).then(function (r) {
        if (!r.ok) throw problem(r);
        forgetToken();
        stopAudio();
        state.ids = {};
        state.cursor = null;
        log.textContent = "";
        log.appendChild(empty);
        say("Your conversation was deleted.");
        input.focus();
      }).catch(function (err) { return explain(err).then(function (text) { say(text, true); }); });
    });
    document.addEventListener("visibilitychange", schedule);
    if (pageMode) open();
    else if (token()) {
      load(false).then(schedule); // an earlier conversation: the launcher shows when a reply arrives
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
