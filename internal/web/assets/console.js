// The live console: keeps the server-rendered status table current from
// the daemon's event stream, filters it, collapses groups, runs actions
// on rows, selections and groups, and follows logs on the tail page.
// Everything works without this script, only less live.
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  function shortDuration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m";
    if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor(s % 86400 / 3600) + "h";
  }
  function bytes(n) {
    if (n < 1024) return n + " B";
    var u = "KMGTP", i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < 4);
    return n.toFixed(1) + " " + u[i] + "iB";
  }
  var classes = { RUNNING: "good", FATAL: "bad", BACKOFF: "bad", UNKNOWN: "bad", STARTING: "busy", STOPPING: "busy" };
  var destructive = { stop: 1, restart: 1, signal: 1, clearlog: 1, stopall: 1, restartall: 1 };
  var verbs = { start: "Start", stop: "Stop", restart: "Restart", signal: "Signal", clearlog: "Clear the log of", stopall: "Stop all processes", restartall: "Restart all processes" };

  function say(text, isError) {
    var msg = $("#msg");
    if (!msg) return;
    msg.hidden = false;
    msg.className = "msg" + (isError ? " msg-error" : "");
    msg.textContent = text;
  }

  // ---- status page ----
  function status(table) {
    var rows = new Map();
    $$("tr.proc", table).forEach(function (tr) { rows.set(tr.dataset.spec, tr); });
    var readonly = table.dataset.readonly === "1";
    var filter = $("#filter");
    var pending = new Map();
    var scheduled = false;

    function sparkPoints(samples) {
      if (!samples || samples.length < 2) return "";
      var top = Math.max(1, Math.max.apply(null, samples));
      var step = 60 / (samples.length - 1);
      return samples.map(function (v, i) { return (i * step).toFixed(1) + "," + (15 - 14 * v / top).toFixed(1); }).join(" ");
    }
    function spark(pts) {
      var ns = "http://www.w3.org/2000/svg";
      var svg = document.createElementNS(ns, "svg");
      svg.setAttribute("class", "spark");
      svg.setAttribute("viewBox", "0 0 60 16");
      svg.setAttribute("aria-hidden", "true");
      var pl = document.createElementNS(ns, "polyline");
      pl.setAttribute("points", pts);
      svg.appendChild(pl);
      return svg;
    }
    function set(tr, sel, text) {
      var td = $(sel, tr);
      if (td && td.textContent !== text) td.textContent = text;
      return td;
    }
    // update changes only what differs, so that a row whose data did not
    // change (most of a catch-up snapshot) is not laid out again.
    function update(r) {
      var tr = rows.get(r.spec);
      if (!tr) { programsChanged(); return; }
      if (tr.dataset.state !== r.state) tr.dataset.state = r.state;
      var badge = $(".badge", tr), cls = "badge badge-" + (classes[r.state] || "idle");
      if (badge.className !== cls) badge.className = cls;
      set(tr, ".badge", r.state.toLowerCase());
      var since = $(".since", tr);
      if (since.dataset.since !== String(r.since)) since.dataset.since = r.since;
      set(tr, ".since", r.since ? shortDuration(Date.now() - r.since) : "");
      if (r.desc !== undefined) set(tr, ".c-desc", r.desc);
      set(tr, ".c-pid", r.pid ? String(r.pid) : "");
      set(tr, ".c-exit", r.hasExit ? String(r.exit) : "");
      set(tr, ".c-restarts", String(r.restarts));
      var h = $(".c-health", tr), hs = h.firstElementChild;
      if ((hs ? hs.textContent : "") !== (r.health || "")) {
        h.textContent = "";
        if (r.health) {
          var s = document.createElement("span");
          s.className = "health health-" + r.health;
          s.textContent = r.health;
          h.appendChild(s);
        }
      }
      var cpu = $(".c-cpu", tr), pct = r.measured ? r.cpu.toFixed(1) + "%" : "";
      var pts = r.measured ? sparkPoints(r.spark) : "", line = cpu.querySelector("polyline");
      var text = cpu.firstChild && cpu.firstChild.nodeType === 3 ? cpu.firstChild.data.trim() : "";
      if (text !== pct || !line !== !pts) {
        cpu.textContent = pct;
        if (pts) { cpu.appendChild(document.createTextNode(" ")); cpu.appendChild(spark(pts)); }
      } else if (line && line.getAttribute("points") !== pts) {
        line.setAttribute("points", pts);
      }
      set(tr, ".c-mem", r.measured ? bytes(r.mem) : "");
      var hide = !matches(tr);
      if (tr.hidden !== hide) tr.hidden = hide;
    }
    var reloading = false;
    function programsChanged() {
      // Programs were added or removed (reread/update): the table's
      // shape changed, so fetch it again once.
      if (reloading) return;
      reloading = true;
      say("The set of programs changed; reloading the table.");
      setTimeout(function () { location.reload(); }, 500);
    }
    function flush() {
      scheduled = false;
      pending.forEach(update);
      pending.clear();
      counts();
    }
    function queue(r) {
      pending.set(r.spec, r);
      if (!scheduled) { scheduled = true; requestAnimationFrame(flush); }
    }
    function counts() {
      var by = {}, shown = 0;
      rows.forEach(function (tr) {
        by[tr.dataset.state] = (by[tr.dataset.state] || 0) + 1;
        if (!tr.hidden) shown++;
      });
      $$(".count[data-state]").forEach(function (li) {
        var n = by[li.dataset.state] || 0;
        $("strong", li).textContent = n;
        li.classList.toggle("count-zero", n === 0);
      });
      $("#count-all").textContent = rows.size;
      $("#shown").textContent = shown + " of " + rows.size + " shown";
      $$("tbody.grp", table).forEach(function (tb) {
        var any = $$("tr.proc", tb).some(function (tr) { return !tr.hidden; });
        if (tb.classList.contains("filtered-out") === any) tb.classList.toggle("filtered-out", !any);
      });
      selected();
    }
    function matches(tr) {
      var words = (filter ? filter.value : "").toLowerCase().split(/\s+/).filter(Boolean);
      if (!words.length) return true;
      var hay = (tr.dataset.spec + " " + tr.parentNode.dataset.group + " " + tr.dataset.state).toLowerCase();
      return words.every(function (w) {
        if (w.indexOf("state:") === 0) return tr.dataset.state.toLowerCase() === w.slice(6);
        return hay.indexOf(w) >= 0;
      });
    }
    function applyFilter() {
      rows.forEach(function (tr) { var h = !matches(tr); if (tr.hidden !== h) tr.hidden = h; });
      counts();
    }
    if (filter) {
      var timer = 0;
      filter.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(applyFilter, 80); });
      filter.form.addEventListener("submit", function (e) {
        e.preventDefault();
        applyFilter();
        history.replaceState(null, "", filter.value ? "index.html?filter=" + encodeURIComponent(filter.value) : "index.html");
      });
    }

    // Groups fold.
    $$("tr.ghead", table).forEach(function (head) {
      var btn = $(".toggle", head), tb = head.parentNode;
      btn.hidden = false;
      btn.setAttribute("aria-label", "Collapse group " + tb.dataset.group);
      btn.addEventListener("click", function () {
        var open = btn.getAttribute("aria-expanded") === "true";
        btn.setAttribute("aria-expanded", String(!open));
        btn.setAttribute("aria-label", (open ? "Expand" : "Collapse") + " group " + tb.dataset.group);
        tb.classList.toggle("collapsed", open);
      });
    });

    // Selection.
    var all = $("#select-all");
    function checked() {
      return $$("tr.proc input[name=processname]", table).filter(function (c) { return c.checked && !c.closest("tr").hidden; });
    }
    function selected() {
      var el = $("#selected");
      if (el) el.textContent = "Selected: " + checked().length;
    }
    if ($("#selected")) $("#selected").hidden = false;
    if (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        rows.forEach(function (tr) { if (!tr.hidden) $("input[name=processname]", tr).checked = all.checked; });
        selected();
      });
      table.addEventListener("change", function (e) { if (e.target.name === "processname") selected(); });
    }

    // Actions.
    var dialog = $("#confirm");
    function ask(verb, specs) {
      return new Promise(function (resolve) {
        if (!destructive[verb]) return resolve(true);
        if (!dialog || !dialog.showModal) return resolve(window.confirm(verbs[verb] + " " + specs.join(", ") + "?"));
        var list = specs.length > 5 ? specs.slice(0, 5).join(", ") + " and " + (specs.length - 5) + " more" : specs.join(", ");
        $("#confirm-title").textContent = verbs[verb] + "?";
        $("#confirm-text").textContent = specs.length ? verbs[verb] + " " + list + "?" : verbs[verb] + "?";
        $("#confirm-sig").hidden = verb !== "signal";
        if (verb === "signal") $("#confirm-signal").value = $("#signal").value;
        $("#confirm-ok").textContent = verbs[verb].split(" ")[0];
        dialog.returnValue = "";
        dialog.addEventListener("close", function done() {
          dialog.removeEventListener("close", done);
          resolve(dialog.returnValue === "ok");
        });
        dialog.showModal();
      });
    }
    var form = $("#procs");
    if (form && !readonly) {
      form.addEventListener("submit", function (e) {
        var b = e.submitter;
        if (!b) return;
        e.preventDefault();
        var verb, specs;
        if (b.name === "act1") {
          var i = b.value.indexOf(":");
          verb = b.value.slice(0, i);
          specs = [b.value.slice(i + 1)];
        } else {
          verb = b.value;
          specs = verb === "stopall" || verb === "restartall" ? [] : checked().map(function (c) { return c.value; });
          if (!specs.length && verb !== "stopall" && verb !== "restartall") { say("Select processes first.", true); return; }
        }
        ask(verb, specs).then(function (ok) {
          if (!ok) { say(verbs[verb] + " cancelled."); return; }
          var body = new URLSearchParams();
          body.set("action", verb);
          specs.forEach(function (s) { body.append("processname", s); });
          if (verb === "signal") body.set("signal", $("#confirm-signal").value);
          b.disabled = true;
          say(verbs[verb] + " " + (specs.join(", ") || "") + "…");
          fetch("api/action", { method: "POST", body: body, credentials: "same-origin" }).then(function (resp) {
            if (!resp.ok) return resp.text().then(function (t) { throw new Error(t.trim() || resp.statusText); });
            return resp.json();
          }).then(function (out) {
            var bad = out.results.filter(function (r) { return !r.ok; });
            var text = out.results.length === 1 ? out.results[0].message
              : (out.results.length - bad.length) + " of " + out.results.length + " done" + (bad.length ? "; " + bad.map(function (r) { return r.message; }).join("; ") : "");
            say(text, bad.length > 0);
          }).catch(function (err) {
            say("ERROR: " + err.message, true);
          }).finally(function () { b.disabled = false; });
        });
      });
    }

    // The stream.
    var live = $("#live"), es = null, retry = 0;
    function liveState(state, text) {
      if (!live) return;
      live.dataset.state = state;
      live.textContent = text;
    }
    function connect() {
      if (!live) return;
      es = new EventSource("events?snapshot=1");
      es.onopen = function () { liveState("on", "live"); };
      es.onmessage = function (m) {
        var ev;
        try { ev = JSON.parse(m.data); } catch (err) { return; }
        switch (ev.type) {
          case "hello":
            var d = $("#daemon");
            if (d) { d.textContent = ev.daemon; d.className = "daemon daemon-" + ev.daemon.toLowerCase(); }
            liveState("on", "live");
            break;
          case "snapshot":
            var seen = new Set();
            (ev.rows || []).forEach(function (r) { seen.add(r.spec); queue(r); });
            if (seen.size !== rows.size) programsChanged();
            break;
          case "process":
            queue(ev.row);
            break;
          case "removed":
            var tr = rows.get(ev.spec);
            if (tr) { tr.remove(); rows.delete(ev.spec); counts(); }
            break;
        }
      };
      es.onerror = function () {
        liveState("off", "reconnecting…");
        if (es.readyState === EventSource.CLOSED) {
          es = null;
          setTimeout(connect, Math.min(10000, 1000 * ++retry));
        }
      };
    }
    // Rows out of view start skipped (content-visibility in the
    // stylesheet), so that the first render lays out only what is on
    // screen. Chromium leaves a skipped row's cells out of the
    // accessibility tree, so once the page is idle every row is rendered
    // for good, a slice at a time so that no task is long.
    function settle() {
      var todo = Array.from(rows.values()), at = 0;
      // A page kept busy by updates still settles: an idle callback
      // waits at most a second.
      var idle = window.requestIdleCallback
        ? function (f) { return requestIdleCallback(f, { timeout: 1000 }); }
        : function (f) { return setTimeout(f, 50); };
      (function next() {
        if (at >= todo.length) return;
        idle(function () {
          todo.slice(at, at += 100).forEach(function (tr) { tr.classList.add("rendered"); });
          next();
        });
      })();
    }
    // Go live once the page has loaded: neither the catch-up snapshot nor
    // the rows out of view hold up the first render.
    function loaded() { connect(); settle(); }
    if (document.readyState === "complete") loaded();
    else window.addEventListener("load", loaded);
    liveState(live ? live.dataset.state : "off", live ? "connecting…" : "");

    // Durations move with the clock, in the page only, and only for the
    // rows in view, so a big table is not laid out again every second.
    var inView = new Set();
    if (window.IntersectionObserver) {
      var io = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) { if (e.isIntersecting) inView.add(e.target); else inView.delete(e.target); });
      });
      rows.forEach(function (tr) { io.observe(tr); });
    } else {
      inView = rows;
    }
    setInterval(function () {
      var now = Date.now();
      inView.forEach(function (tr) {
        if (tr.hidden) return;
        var s = tr.querySelector(".since"), ms = +s.dataset.since;
        if (ms) { var t = shortDuration(now - ms); if (s.textContent !== t) s.textContent = t; }
      });
    }, 1000);
    applyFilter();
  }

  // ---- tail page ----
  function tail(box) {
    $$(".jsonly").forEach(function (e) { e.hidden = false; });
    $$(".nojs").forEach(function (e) { e.hidden = true; });
    var spec = box.dataset.spec;
    if (!spec) return;
    var pre = $("#log"), logbox = $("#logbox"), follow = $("#follow"), search = $("#search"), channel = $("#channel");
    var stateEl = $("#tail-state"), matchesEl = $("#matches");
    var text = pre.textContent, es = null, paused = false, scheduled = false;
    var maxChars = 2 * 1024 * 1024;
    function st(s, t) { stateEl.dataset.state = s; stateEl.textContent = t; }
    function render() {
      scheduled = false;
      var q = search.value;
      if (!q) {
        pre.textContent = text;
        matchesEl.textContent = "";
      } else {
        var frag = document.createDocumentFragment(), lower = text.toLowerCase(), ql = q.toLowerCase(), at = 0, n = 0, i;
        while ((i = lower.indexOf(ql, at)) >= 0) {
          frag.appendChild(document.createTextNode(text.slice(at, i)));
          var m = document.createElement("mark");
          m.textContent = text.slice(i, i + q.length);
          frag.appendChild(m);
          at = i + q.length;
          n++;
        }
        frag.appendChild(document.createTextNode(text.slice(at)));
        pre.textContent = "";
        pre.appendChild(frag);
        matchesEl.textContent = n + (n === 1 ? " match" : " matches");
      }
      if (!paused) logbox.scrollTop = logbox.scrollHeight;
    }
    function schedule() { if (!scheduled) { scheduled = true; requestAnimationFrame(render); } }
    function connect() {
      var url = "logstream?processname=" + encodeURIComponent(spec) + "&channel=" + channel.value + "&limit=" + box.dataset.limit;
      es = new EventSource(url);
      st("off", "connecting…");
      es.onmessage = function (m) {
        var ev;
        try { ev = JSON.parse(m.data); } catch (err) { return; }
        if (ev.type === "reset") { text = ""; st("on", "following"); }
        else if (ev.type === "data") {
          text += ev.text;
          if (text.length > maxChars) text = text.slice(text.length - maxChars);
        } else if (ev.type === "missing") { text = ""; st("off", "no log yet"); }
        schedule();
      };
      es.onerror = function () { st("off", "reconnecting…"); };
    }
    function stop() { if (es) { es.close(); es = null; } }
    follow.addEventListener("click", function () {
      paused = !paused;
      follow.textContent = paused ? "Follow" : "Pause";
      follow.setAttribute("aria-pressed", String(!paused));
      if (paused) { stop(); st("off", "paused"); } else connect();
    });
    channel.addEventListener("change", function () {
      $("#channel-name").textContent = channel.value;
      box.dataset.channel = channel.value;
      stop();
      text = "";
      schedule();
      if (!paused) connect();
    });
    search.addEventListener("input", schedule);
    search.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      var marks = $$("mark", pre);
      if (!marks.length) return;
      var cur = marks.findIndex(function (m) { return m.classList.contains("current"); });
      if (cur >= 0) marks[cur].classList.remove("current");
      var next = marks[(cur + 1) % marks.length];
      next.classList.add("current");
      next.scrollIntoView({ block: "center" });
    });
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = $("#procs-table");
    if (table) status(table);
    var box = $("#tail");
    if (box) tail(box);
  });
})();
