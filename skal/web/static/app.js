// skal serve: the labeling page. Plain JavaScript, no build step.
// Rows are data: they reach the page with textContent only, never as HTML.
"use strict";

(function () {
  // The token comes in the address's fragment (#token=...), which the browser
  // never sends to any server. It moves to sessionStorage -- kept per origin,
  // so per port, and per tab -- leaves the address, and goes out only in the
  // X-Skal-Token header of this page's own API calls. No cookie carries it.
  const TOKEN_KEY = "skal-token";
  function tokenInAddress() {
    const match = /(?:^#|&)token=([^&]*)/.exec(window.location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }
  function takeToken() {
    const fresh = tokenInAddress();
    if (fresh !== null) {
      sessionStorage.setItem(TOKEN_KEY, fresh);
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }
  const token = takeToken();
  // the printed address of a restarted server, pasted into this tab: only the
  // fragment changes, so nothing reloads by itself
  window.addEventListener("hashchange", function () {
    if (tokenInAddress() !== null) { takeToken(); window.location.reload(); }
  });
  const NO_TOKEN = "this page needs the address that skal serve printed " +
    "(http://127.0.0.1:PORT/#token=...); a restarted server prints a new one";

  const nameInput = document.getElementById("annotator");
  let page = { classes: [], annotator: "", session_name: "", budget: null };
  nameInput.addEventListener("change", function () {
    localStorage.setItem("skal-annotator", nameInput.value.trim());
    if (document.body.dataset.page === "label") { load(); }
  });
  function annotator() { return nameInput.value.trim(); }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function say(text, bad) {
    const box = document.getElementById("message");
    box.textContent = text || "";
    box.classList.toggle("bad", Boolean(bad));
  }

  async function call(method, path, body) {
    if (!token) { return { ok: false, status: 403, data: { error: NO_TOKEN } }; }
    const options = {
      method: method,
      credentials: "omit",
      headers: { "X-Skal-Token": token },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      return { ok: false, status: 0, data: { error: "the server does not answer: " +
        "is skal serve still running? (a restarted server prints a new address)" } };
    }
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (response.status === 403 && /token/.test(data.error || "")) { data = { error: NO_TOKEN }; }
    return { ok: response.ok, status: response.status, data: data };
  }

  // the session's name, classes and default annotator: data, so from the API
  async function loadPage() {
    const r = await call("GET", "/api/page");
    if (!r.ok) { say(r.data.error || ("error " + r.status), true); return false; }
    page = r.data;
    document.getElementById("session-name").textContent = page.session_name;
    document.title = document.title + " · " + page.session_name;
    nameInput.value = localStorage.getItem("skal-annotator") || page.annotator;
    // named annotators: the address says who you are; the name is not typed
    if (page.identity) { nameInput.value = page.annotator; nameInput.readOnly = true; }
    return true;
  }

  // ------------------------------------------------------------ labeling
  let current = null;
  let busy = false;
  let waitTimer = null;
  const guessBox = document.getElementById("show-guess");

  function showGuessWanted() { return guessBox ? guessBox.checked : false; }

  // A multi-label session's label is a tag set, a JSON list of tag names:
  // shown as the tags joined by commas.
  function shown(label) {
    if (!page.multi_label) { return label; }
    try {
      const tags = JSON.parse(label);
      return tags.length ? tags.join(", ") : "no tag";
    } catch (e) { return label; }
  }
  // Time on screen: from a row's first showing to its answer, the clock
  // stopped while the page is hidden (another tab, a minimized window); the
  // server cuts it at five minutes (away from the desk).
  const clock = { key: null, spent: 0, since: null };
  function now() { return performance.now(); }
  function startClock(key) {
    if (clock.key === key) { return; } // the same row again (a reload reply)
    clock.key = key;
    clock.spent = 0;
    clock.since = document.hidden ? null : now();
  }
  function secondsOnScreen() {
    const running = clock.since === null ? 0 : now() - clock.since;
    return Math.round(clock.spent + running) / 1000;
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && clock.since !== null) {
      clock.spent += now() - clock.since;
      clock.since = null;
    } else if (!document.hidden && clock.since === null && clock.key !== null) {
      clock.since = now();
    }
  });

  function render(reply) {
    const row = reply.row;
    if (page.multi_label && (!row || !current || row.row_id !== current.row_id)) { clearTags(); }
    current = row;
    const idBox = document.getElementById("row-id");
    const text = document.getElementById("row-text");
    const table = document.getElementById("row-table");
    const guess = document.getElementById("guess");
    const chosen = document.getElementById("chosen");
    clearTimeout(waitTimer);
    if (!row) {
      idBox.textContent = "–";
      chosen.textContent = "";
      table.hidden = true;
      guess.hidden = true;
      const progress = reply.progress || {};
      if (progress.finished) {
        text.textContent = "Done: " + progress.finished + ".";
      } else {
        text.textContent = "Choosing the next rows…";
        waitTimer = setTimeout(load, 700);
      }
    } else {
      startClock(row.row_id + " " + row.lease);
      idBox.textContent = row.row_id;
      chosen.textContent = row.loop ? "chosen by " + row.chosen_by + " (model of " +
        row.model_labels + " labels)" : "";
      if (row.columns) {
        text.hidden = true;
        table.hidden = false;
        const body = table.tBodies[0];
        body.replaceChildren();
        row.columns.forEach(function (pair) {
          const tr = el("tr");
          tr.appendChild(el("th", pair[0]));
          tr.appendChild(el("td", pair[1]));
          body.appendChild(tr);
        });
      } else {
        table.hidden = true;
        text.hidden = false;
        text.textContent = row.text;
      }
      if (row.guess !== null && row.guess !== undefined) {
        guess.hidden = false;
        guess.textContent = "model's guess: " + shown(row.guess) + " (" +
          Math.round(100 * row.confidence) + "%)";
      } else {
        guess.hidden = !showGuessWanted();
        guess.textContent = "model's guess: none yet";
      }
    }
    if (reply.progress) { renderProgress(reply.progress); }
  }

  function renderProgress(p) {
    const count = document.getElementById("count");
    const of = p.budget ? " / " + p.budget + " (budget)" : " of " + p.rows + " rows";
    count.textContent = "labeled " + p.labeled + of + (p.training ? " · retraining…" : "");
    const bars = document.getElementById("bars");
    bars.replaceChildren();
    const most = Math.max(1, ...Object.values(p.per_class));
    Object.entries(p.per_class).forEach(function (entry) {
      const line = el("div", null, "bar");
      line.appendChild(el("span", entry[0], "bar-name"));
      const track = el("span", null, "bar-track");
      const fill = el("span", null, "bar-fill");
      fill.style.width = (100 * entry[1] / most) + "%";
      track.appendChild(fill);
      line.appendChild(track);
      line.appendChild(el("span", entry[1], "bar-count"));
      bars.appendChild(line);
    });
  }

  async function load() {
    if (!annotator()) { say("type your name in the annotator box", true); return; }
    const r = await call("POST", "/api/next",
      { annotator: annotator(), show_guess: showGuessWanted() });
    if (!r.ok) { say(r.data.error || ("error " + r.status), true); return; }
    render(r.data);
  }

  async function act(path, extra) {
    if (busy) { return; }
    busy = true;
    try {
      const body = Object.assign({ annotator: annotator(), show_guess: showGuessWanted() }, extra);
      const r = await call("POST", path, body);
      if (!r.ok) {
        say(r.data.error || ("error " + r.status), true);
        if (r.status === 409) { await load(); }
        return;
      }
      if (r.data.undone) {
        const u = r.data.undone;
        say("undone: " + u.row_id + (u.kind === "skip" ? " skip" : " = " + shown(u.label)));
      } else if (r.data.saved) {
        const s = r.data.saved;
        say("saved: " + s.row_id + (s.kind === "skip" ? " skipped" : " = " + shown(s.label)));
      }
      render(r.data);
    } finally {
      busy = false;
    }
  }

  function answer(label) {
    if (!current) { return; }
    act("/api/answer", { row_id: current.row_id, lease: current.lease, label: label,
      seconds: secondsOnScreen() });
  }
  function skip() {
    if (!current) { return; }
    act("/api/skip", { row_id: current.row_id, lease: current.lease,
      seconds: secondsOnScreen() });
  }
  function undo() { act("/api/undo", {}); }

  async function loadModel() {
    const r = await call("GET", "/api/model");
    if (r.ok) {
      drawCurve(r.data.curve || []);
      const box = document.getElementById("stopping");
      const verdict = r.data.stopping;
      if (verdict && verdict.stop) {
        box.hidden = false;
        box.textContent = "Stopping criterion: " + verdict.message;
      } else {
        box.hidden = true;
      }
    }
    setTimeout(loadModel, 5000);
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(function (a) { node.setAttribute(a[0], String(a[1])); });
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }
  function drawCurve(points) {
    const box = document.getElementById("curve");
    box.replaceChildren();
    const left = 34, right = 310, top = 10, bottom = 140;
    const maxN = Math.max(10, ...points.map(function (p) { return p.n; }));
    const x = function (n) { return left + (right - left) * n / maxN; };
    const y = function (v) { return bottom - (bottom - top) * v; };
    [0, 0.5, 1].forEach(function (v) {
      box.appendChild(svg("line", { x1: left, x2: right, y1: y(v), y2: y(v), class: "grid" }));
      box.appendChild(svg("text", { x: left - 4, y: y(v) + 4, class: "tick", "text-anchor": "end" }, v.toFixed(1)));
    });
    box.appendChild(svg("text", { x: right, y: 160, class: "tick", "text-anchor": "end" }, maxN + " labels"));
    box.appendChild(svg("text", { x: left, y: 160, class: "tick" }, "0"));
    if (!points.length) {
      box.appendChild(svg("text", { x: (left + right) / 2, y: 80, class: "empty", "text-anchor": "middle" },
        "no estimate yet: it needs answers to random audit rows"));
      box.appendChild(svg("text", { x: (left + right) / 2, y: 98, class: "empty", "text-anchor": "middle" },
        "and labels of two classes (skal status says which)"));
      document.getElementById("curve-note").textContent =
        "accuracy on random audit rows, model trained without them (95% interval); none yet";
      return;
    }
    const upper = points.map(function (p) { return x(p.n) + "," + y(p.high); });
    const lower = points.slice().reverse().map(function (p) { return x(p.n) + "," + y(p.low); });
    box.appendChild(svg("polygon", { points: upper.concat(lower).join(" "), class: "band" }));
    box.appendChild(svg("polyline", {
      points: points.map(function (p) { return x(p.n) + "," + y(p.accuracy); }).join(" "),
      class: "line",
    }));
    points.forEach(function (p) {
      box.appendChild(svg("circle", { cx: x(p.n), cy: y(p.accuracy), r: 2.5, class: "dot" }));
    });
    const last = points[points.length - 1];
    document.getElementById("curve-note").textContent = "accuracy " +
      last.accuracy.toFixed(3) + " (95% interval " + last.low.toFixed(3) + "–" +
      last.high.toFixed(3) + ") at " + last.n + " labels, on " + last.basis +
      (points.length < 2 ? "; one point so far" : "");
  }

  // -------------------------------------------------------------- review
  async function loadReview() {
    const classes = page.classes.map(function (c) { return c.name; });
    const r = await call("GET", "/api/review");
    const list = document.getElementById("suspects");
    list.replaceChildren();
    if (!r.ok) { say(r.data.error || ("error " + r.status), true); return; }
    say(r.data.rows.length ? "" : "no labels to review yet");
    r.data.rows.forEach(function (item) {
      const li = el("li");
      const head = el("p", null, "meta");
      head.appendChild(el("code", item.row_id));
      head.appendChild(document.createTextNode(" labeled "));
      head.appendChild(el("strong", item.label, "given"));
      head.appendChild(document.createTextNode(" · another class " + item.suspicion.toFixed(0) + "× as likely"));
      li.appendChild(head);
      li.appendChild(el("div", item.text, "row-text small"));
      const buttons = el("div", null, "classes");
      const right = el("button", "correct", "correct");
      right.type = "button";
      right.title = "this label is right: take the row off this list";
      right.addEventListener("click", async function () {
        const res = await call("POST", "/api/confirm",
          { annotator: annotator(), row_id: item.row_id, label: item.label });
        if (res.ok) {
          say("confirmed: " + item.row_id + " = " + item.label);
          li.remove();
        } else {
          say(res.data.error || ("error " + res.status), true);
        }
      });
      buttons.appendChild(right);
      classes.forEach(function (c) {
        const b = el("button", c, "label");
        b.type = "button";
        b.disabled = c === item.label;
        b.addEventListener("click", async function () {
          const res = await call("POST", "/api/relabel",
            { annotator: annotator(), row_id: item.row_id, label: c });
          if (res.ok) {
            say("saved: " + item.row_id + " relabeled " + item.label + " -> " + c);
            head.querySelector(".given").textContent = c;
            item.label = c;
            buttons.querySelectorAll("button.label").forEach(function (x) {
              x.disabled = x.textContent === c;
            });
          } else {
            say(res.data.error || ("error " + res.status), true);
          }
        });
        buttons.appendChild(b);
      });
      li.appendChild(buttons);
      list.appendChild(li);
    });
  }

  // ----------------------------------------------------------- agreement
  function figure(v) { return v === null || v === undefined ? "–" : v.toFixed(3); }
  async function loadAgreement() {
    const r = await call("GET", "/api/agreement");
    const card = document.getElementById("agreement-card");
    if (!card || !r.ok || !r.data.team) { return; }
    const a = r.data;
    card.hidden = false;
    document.getElementById("agreement-summary").textContent = a.error ||
      ("Krippendorff's α " + figure(a.alpha) + " on " + a.shared_rows +
       " rows answered by two people or more; " + a.disputed +
       " in dispute (waiting for the adjudicator), " + a.settled + " settled, " +
       a.waiting + " waiting for more answers");
    const table = document.getElementById("agreement-table");
    table.replaceChildren();
    const head = el("tr");
    ["annotator", "labels", "accuracy vs consensus (95% interval)", "shared rows",
     "time per label (median, labels/hour, timed answers)"].forEach(
      function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    (a.accuracy || []).forEach(function (e) {
      const tr = el("tr");
      tr.appendChild(el("td", e.annotator));
      tr.appendChild(el("td", a.labels[e.annotator]));
      tr.appendChild(el("td", e.rows ? figure(e.accuracy) + " [" + figure(e.low) + ", " +
        figure(e.high) + "]" : "–"));
      tr.appendChild(el("td", e.rows));
      const t = (a.timing || {})[e.annotator];
      tr.appendChild(el("td", t ? t.median.toFixed(1) + " s, " +
        (t.per_hour === null ? "–" : Math.round(t.per_hour)) + "/hour, over " + t.n : "–"));
      table.appendChild(tr);
    });
    const pairs = document.getElementById("agreement-pairs");
    pairs.replaceChildren();
    (a.pairs || []).forEach(function (p) {
      pairs.appendChild(el("li", "Cohen's κ " + p.a + "–" + p.b + ": " + figure(p.kappa) +
        " (" + p.rows + " rows)"));
    });
  }

  // ---------------------------------------------------------------- tags
  // A multi-label session: a checkbox per tag (its key toggles it) and a
  // button (Enter) that answers with the ticked tags, none ticked = no tag.
  function tagBoxes() {
    const keys = {};
    const box = document.getElementById("classes");
    box.replaceChildren();
    page.classes.forEach(function (c) {
      const item = el("label", null, "tag");
      const tick = el("input");
      tick.type = "checkbox";
      tick.dataset.tag = c.name;
      item.appendChild(tick);
      item.appendChild(document.createTextNode(" "));
      if (c.key) {
        item.appendChild(el("kbd", c.key));
        item.appendChild(document.createTextNode(" "));
        keys[c.key] = c.name;
      }
      item.appendChild(document.createTextNode(c.name));
      box.appendChild(item);
    });
    const save = el("button", null, "label");
    save.type = "button";
    save.id = "save-tags";
    save.appendChild(el("kbd", "Enter"));
    save.appendChild(document.createTextNode(" save the ticked tags (none ticked: no tag)"));
    save.addEventListener("click", answerTags);
    box.appendChild(save);
    return keys;
  }
  function tagTicks() {
    return Array.from(document.querySelectorAll("#classes input[data-tag]"));
  }
  function toggleTag(name) {
    tagTicks().forEach(function (t) { if (t.dataset.tag === name) { t.checked = !t.checked; } });
  }
  function clearTags() { tagTicks().forEach(function (t) { t.checked = false; }); }
  function answerTags() {
    answer(JSON.stringify(tagTicks().filter(function (t) { return t.checked; })
      .map(function (t) { return t.dataset.tag; })));
  }

  // ------------------------------------------------------------- start
  function classButtons() {
    if (page.multi_label) { return tagBoxes(); }
    const keys = {};
    const box = document.getElementById("classes");
    box.replaceChildren();
    page.classes.forEach(function (c) {
      const b = el("button", null, "label");
      b.type = "button";
      b.dataset.label = c.name;
      if (c.key) {
        b.dataset.key = c.key;
        b.appendChild(el("kbd", c.key));
        b.appendChild(document.createTextNode(" "));
        keys[c.key] = c.name;
      }
      b.appendChild(document.createTextNode(c.name));
      b.addEventListener("click", function () { answer(c.name); });
      box.appendChild(b);
    });
    return keys;
  }

  async function start() {
    if (!(await loadPage())) { return; }
    if (document.body.dataset.page === "label") {
      const keys = classButtons();
      document.getElementById("skip").addEventListener("click", skip);
      document.getElementById("undo").addEventListener("click", undo);
      guessBox.checked = localStorage.getItem("skal-show-guess") === "1";
      guessBox.addEventListener("change", function () {
        localStorage.setItem("skal-show-guess", guessBox.checked ? "1" : "0");
        load();
      });
      document.addEventListener("keydown", function (event) {
        if (event.target === nameInput || event.ctrlKey || event.metaKey || event.altKey) { return; }
        const key = event.key.toLowerCase();
        if (keys[key]) { if (page.multi_label) { toggleTag(keys[key]); } else { answer(keys[key]); } }
        else if (page.multi_label && key === "enter") { answerTags(); }
        else if (key === "s") { skip(); }
        else if (key === "u") { undo(); }
        else if (key === "g") { guessBox.checked = !guessBox.checked; guessBox.dispatchEvent(new Event("change")); }
        else if (key === "r") { window.location.href = "/review"; }
        else { return; }
        event.preventDefault();
      });
      load();
      loadModel();
    } else if (document.body.dataset.page === "review") {
      loadReview();
      loadAgreement();
    }
  }
  start();
})();
