(function () {
  "use strict";
  var d = document;
  d.documentElement.classList.add("js");
  window.addEventListener("beforeprint", function () {
    d.querySelectorAll("details").forEach(function (x) { x.open = true; });
  });
  var svg = d.getElementById("chart");
  if (!svg) { d.documentElement.dataset.ready = "1"; return; }
  var NS = "http://www.w3.org/2000/svg";
  var T0 = +svg.dataset.t0, T1 = +svg.dataset.t1, X0 = +svg.dataset.x0, X1 = +svg.dataset.x1;
  var byLine = svg.dataset.byLine === "1";
  var a = T0, b = T1;
  var marks = svg.querySelectorAll("[data-t]");
  var spans = svg.querySelectorAll("[data-a]");
  var axis = d.getElementById("axis");
  var brush = d.getElementById("brush");
  var from = d.getElementById("zoom-from"), to = d.getElementById("zoom-to");
  var shown = d.getElementById("zoom-range");
  var panel = d.getElementById("evidence-text");
  var height = svg.viewBox.baseVal.height;

  function x(t) { return X0 + (t - a) / (b - a) * (X1 - X0); }
  function label(t, span) {
    if (byLine) return "line " + Math.round(t);
    var sign = t < 0 ? "-" : "+", v = Math.abs(t);
    if (span < 120) return sign + v.toFixed(span < 2 ? 3 : span < 20 ? 2 : 1) + " s";
    var s = Math.round(v), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return sign + (h ? h + ":" + p(m) : m) + ":" + p(sec);
  }
  function step(span) {
    if (!byLine && span >= 120) {
      var st = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
      for (var i = 0; i < st.length; i++) if (span / st[i] <= 12) return st[i];
    }
    var raw = span / 8, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var ms = [1, 2, 5, 10];
    for (var j = 0; j < ms.length; j++) if (raw <= ms[j] * p) return Math.max(ms[j] * p, byLine ? 1 : 0.001);
    return raw;
  }
  function drawAxis() {
    while (axis.firstChild) axis.removeChild(axis.firstChild);
    var span = b - a, st = step(span), n = 0;
    for (var t = Math.ceil(a / st) * st; t <= b && n < 40; t += st, n++) {
      var xx = x(t).toFixed(2);
      var l = d.createElementNS(NS, "line");
      l.setAttribute("x1", xx); l.setAttribute("x2", xx);
      l.setAttribute("y1", 24); l.setAttribute("y2", height - 4);
      var tx = d.createElementNS(NS, "text");
      tx.setAttribute("x", xx); tx.setAttribute("y", 14);
      tx.textContent = label(t, span);
      axis.appendChild(l); axis.appendChild(tx);
    }
  }
  function draw() {
    marks.forEach(function (m) {
      m.setAttribute("transform", "translate(" + x(+m.dataset.t).toFixed(2) + " " + m.dataset.y + ")");
    });
    spans.forEach(function (s) {
      var xa = x(+s.dataset.a), xb = x(+s.dataset.b);
      if (s.tagName === "rect") {
        s.setAttribute("x", xa.toFixed(2));
        s.setAttribute("width", Math.max(1, xb - xa).toFixed(2));
      } else {
        s.setAttribute("x1", xa.toFixed(2)); s.setAttribute("x2", xb.toFixed(2));
      }
    });
    drawAxis();
    if (from) from.value = +a.toFixed(3);
    if (to) to.value = +b.toFixed(3);
    var whole = a <= T0 && b >= T1;
    if (shown) shown.textContent = whole ? "whole log" : label(a, b - a) + " → " + label(b, b - a);
    if (history.replaceState) {
      try { history.replaceState(null, "", whole ? location.pathname + location.search : "#zoom=" + (+a.toFixed(3)) + "," + (+b.toFixed(3))); } catch (e) { /* file: URLs may refuse */ }
    }
  }
  function zoom(na, nb) {
    if (!(nb > na)) return;
    var min = byLine ? 2 : 0.01;
    if (nb - na < min) { var c = (na + nb) / 2; na = c - min / 2; nb = c + min / 2; }
    a = Math.max(T0, na); b = Math.min(T1, nb);
    if (b - a < min) { a = T0; b = T1; }
    draw();
  }
  function around(f) { var c = (a + b) / 2, h = (b - a) * f / 2; zoom(c - h, c + h); }
  function on(id, f) { var e = d.getElementById(id); if (e) e.addEventListener("click", f); }
  on("zoom-in", function () { around(0.5); });
  on("zoom-out", function () { around(2); });
  on("zoom-reset", function () { zoom(T0, T1); });
  on("zoom-apply", function () { zoom(+from.value, +to.value); });

  function svgX(ev) {
    var p = svg.createSVGPoint(); p.x = ev.clientX; p.y = ev.clientY;
    var m = svg.getScreenCTM();
    return m ? p.matrixTransform(m.inverse()).x : 0;
  }
  function tAt(px) { return a + (Math.min(X1, Math.max(X0, px)) - X0) / (X1 - X0) * (b - a); }
  var start = null;
  svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    var px = svgX(ev);
    if (px < X0) return;
    start = px;
    brush.setAttribute("x", px); brush.setAttribute("width", 0);
  });
  svg.addEventListener("pointermove", function (ev) {
    if (start === null) return;
    var px = svgX(ev);
    brush.setAttribute("x", Math.min(start, px)); brush.setAttribute("width", Math.abs(px - start));
  });
  function end(ev) {
    if (start === null) return;
    var px = svgX(ev), s = start;
    start = null;
    brush.setAttribute("width", 0);
    if (Math.abs(px - s) > 4) zoom(tAt(Math.min(s, px)), tAt(Math.max(s, px)));
  }
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointerleave", end);

  function show(ev) {
    var el = ev.target.closest ? ev.target.closest(".m,[data-a]") : null;
    if (!el || !panel) return;
    var t = el.querySelector("title");
    if (t) panel.textContent = t.textContent;
  }
  svg.addEventListener("mouseover", show);
  svg.addEventListener("focusin", show);
  svg.addEventListener("keydown", function (ev) {
    if (ev.key === "+" || ev.key === "=") around(0.5);
    else if (ev.key === "-") around(2);
    else if (ev.key === "0") zoom(T0, T1);
    else return;
    ev.preventDefault();
  });
  d.querySelectorAll("tr[data-check]").forEach(function (row) {
    var name = row.dataset.check;
    var hl = function (onoff) {
      svg.querySelectorAll('.m[data-check="' + CSS.escape(name) + '"]').forEach(function (m) {
        m.classList.toggle("hl", onoff);
      });
    };
    row.addEventListener("mouseenter", function () { hl(true); });
    row.addEventListener("mouseleave", function () { hl(false); });
  });
  // A shared link keeps its range: report.html#zoom=FROM,TO (seconds, or lines).
  var m = /^#zoom=(-?[0-9.]+),(-?[0-9.]+)$/.exec(location.hash);
  if (m) zoom(+m[1], +m[2]); else draw();
  d.documentElement.dataset.ready = "1";
})();
