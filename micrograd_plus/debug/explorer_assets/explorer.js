// micrograd_plus explorer: replays the forward and backward pass over the inline SVG.
// The state at step k is recomputed from step 0 on every move, so "previous", the slider
// and the keyboard can never drift out of sync with "next".
(function () {
  "use strict";
  window.__mgpErrors = window.__mgpErrors || [];
  window.addEventListener("error", function (e) { window.__mgpErrors.push(String(e.message)); });

  var DATA = JSON.parse(document.getElementById("mgp-data").textContent);
  var STEPS = DATA.steps;
  var NODES = DATA.nodes;
  var $ = function (id) { return document.getElementById(id); };
  var graph = $("mgp-graph");

  // ---- find the SVG pieces drawn by viz.draw_graph ---------------------------------------
  var groups = {};   // svg node title -> <g>
  var edges = {};    // "from->to" -> [<g>, ...] (an op may read the same input twice)
  var cells = {};    // value node name -> {data: cell, grad: cell}
  Array.prototype.forEach.call(document.querySelectorAll("#mgp-graph g.node"), function (g) {
    var t = g.querySelector("title");
    if (t) { groups[t.textContent.trim()] = g; }
  });
  Array.prototype.forEach.call(document.querySelectorAll("#mgp-graph g.edge"), function (g) {
    var t = g.querySelector("title");
    if (!t) { return; }
    // viz gives each edge the id "from->to#i"; a long arrow drawn from a dashed copy of its
    // value (viz.layout) keeps that id while its title names the copy
    var key = /->/.test(g.id || "") ? g.id.replace(/#\d+$/, "")
      : t.textContent.trim().replace(/\s+/g, "");
    (edges[key] = edges[key] || []).push(g);
  });

  // viz draws a value as one row of cells: label | "data" value lines | "grad" value lines,
  // the words "data"/"grad" in a smaller font as their own <text>. A cell's lines are the
  // <text>s after its word, up to the next word.
  function findCells(g) {
    var found = {};
    var role = null;
    Array.prototype.forEach.call(g.querySelectorAll("text"), function (el) {
      var word = el.textContent.trim().toLowerCase();
      if (word === "data" || word === "grad") {
        role = word;
        found[role] = { head: el, lines: [], orig: [] };
        el.classList.add("mgp-" + role + "-head");
      } else if (role) {
        found[role].lines.push(el);
        found[role].orig.push(el.textContent);
        el.classList.add("mgp-" + role + "-text");
        el.setAttribute("data-mgp-role", role);
      }
    });
    return found;
  }

  // a long arrow of a big graph is drawn from a dashed copy of its value (viz.layout), a
  // node titled "<name>_ref_..."; its cells show what the value's own cells show
  var copies = {};   // value node name -> [{g, cells}]
  Object.keys(groups).forEach(function (title) {
    var at = title.indexOf("_ref_");
    if (at > 0) {
      var name = title.slice(0, at);
      var copy = { g: groups[title], cells: findCells(groups[title]) };
      (copies[name] = copies[name] || []).push(copy);
    }
  });

  Object.keys(NODES).forEach(function (name) {
    var g = groups[name];
    cells[name] = g ? findCells(g) : {};
    if (!g) { return; }
    g.classList.add("mgp-value-node");
    g.setAttribute("data-mgp-node", name);
    var op = NODES[name].opNode && groups[NODES[name].opNode];
    if (op) { op.classList.add("mgp-op-node"); op.setAttribute("data-mgp-node", name); }
  });

  // write lines into a cell; the SVG keeps viz's leading space before each number
  function setCell(cell, lines, state) {
    if (!cell) { return; }
    cell.lines.forEach(function (el, i) {
      var lead = /^\s*/.exec(cell.orig[i])[0];
      el.textContent = i < lines.length ? lead + lines[i] : "";
      if (state) { el.setAttribute("data-mgp-grad", state); }
    });
  }

  // the edges a forward step computes the node along (from every input), or a backward
  // step sends gradient back along (to the inputs that need a gradient)
  function edgesInto(name, phase) {
    var node = NODES[name];
    var from = phase === "forward" ? node.inputs : node.parents;
    var out = [];
    var push = function (key) {
      (edges[key] || []).forEach(function (e) { if (out.indexOf(e) < 0) { out.push(e); } });
    };
    if (node.opNode && groups[node.opNode]) {
      push(node.opNode + "->" + name);
      from.forEach(function (p) { push(p + "->" + node.opNode); });
    } else {
      from.forEach(function (p) { push(p + "->" + name); });
    }
    return out;
  }

  // ---- state ------------------------------------------------------------------------------
  function stateAt(k) {
    var s = { data: {}, grad: {}, pending: {}, step: STEPS[k] };
    for (var i = 0; i <= k; i++) {
      var st = STEPS[i];
      if (st.phase === "start") {
        st.reveal.forEach(function (n) { s.data[n] = true; });
      } else if (st.phase === "forward") {
        s.data[st.node] = true;
      } else if (st.phase === "backward") {
        s.grad[st.node] = st.grad;
        delete s.pending[st.node];
        st.sends.forEach(function (e) {
          if (!(e.to in s.grad)) { s.pending[e.to] = e; }
        });
      }
    }
    return s;
  }

  function trim(t) { return t.replace(/^\s+/, ""); }
  function dataText(s, name) { return s.data[name] ? NODES[name].data : "?"; }
  function gradText(s, name) {
    if (name in s.grad) { return s.grad[name]; }
    if (name in s.pending) { return s.pending[name].soFar; }
    return "?";
  }
  function gradState(s, name) {
    if (name in s.grad) { return "final"; }
    if (name in s.pending) { return "pending"; }
    return "unknown";
  }

  // ---- rendering ----------------------------------------------------------------------------
  var NAMES = Object.keys(NODES);
  var painted = {};  // name -> what its SVG shows now, so a move touches only what changed

  function paintNode(s, name) {
    var gs = gradState(s, name);
    var shown = !!s.data[name];
    var key = shown + "|" + gs + "|" + (gs === "pending" ? s.pending[name].soFar : "");
    if (painted[name] === key) { return; }
    painted[name] = key;
    var g = groups[name];
    var views = [{ g: g, cells: cells[name] }].concat(copies[name] || []);
    views.forEach(function (v) {
      var c = v.cells;
      if (c.data) { setCell(c.data, shown ? c.data.orig.map(trim) : ["?"], null); }
      if (c.grad) {
        var lines = gs === "final" ? c.grad.orig.map(trim)
          : gs === "pending" ? s.pending[name].svg : ["?"];
        setCell(c.grad, lines, gs);
      }
      if (v.g && v !== views[0]) { v.g.classList.toggle("mgp-unknown", !shown); }
    });
    if (!g) { return; }
    g.classList.toggle("mgp-unknown", !shown);
    var op = NODES[name].opNode && groups[NODES[name].opNode];
    if (op) { op.classList.toggle("mgp-unknown", !shown); }
  }

  var current = 0;
  var selected = null;
  var marked = [];

  function mark(el, cls) { el.classList.add(cls); marked.push([el, cls]); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function eqList(title, lines, cls) {
    var box = el("div", "mgp-eqs " + (cls || ""));
    if (title) { box.appendChild(el("div", "mgp-eq-title", title)); }
    lines.forEach(function (line) { box.appendChild(el("div", "mgp-eq", line)); });
    return box;
  }

  function render(k) {
    current = Math.max(0, Math.min(STEPS.length - 1, k));
    var s = stateAt(current);
    var st = s.step;

    marked.forEach(function (m) { m[0].classList.remove(m[1]); });
    marked = [];

    NAMES.forEach(function (name) { paintNode(s, name); });

    if (st.node) {
      var cls = st.phase === "forward" ? "mgp-current-fwd" : "mgp-current-bwd";
      var flow = st.phase === "forward" ? "mgp-flow-fwd" : "mgp-flow-bwd";
      if (groups[st.node]) { mark(groups[st.node], cls); }
      var opn = NODES[st.node].opNode;
      if (opn && groups[opn]) { mark(groups[opn], cls); }
      edgesInto(st.node, st.phase).forEach(function (e) { mark(e, flow); });
      if (st.phase === "backward") {
        st.sends.forEach(function (e) {
          if (groups[e.to]) { mark(groups[e.to], "mgp-receiving"); }
        });
      }
    }
    if (selected && groups[selected]) { mark(groups[selected], "mgp-selected"); }

    if (st.node) { reveal(groups[st.node]); }
    renderStep(st);
    renderValues(s);
    renderSelected(s);
    renderControls(st);
  }

  // at actual size a big graph scrolls: bring the current node into view, centred
  function reveal(g) {
    if (!g || graph.classList.contains("mgp-fit")) { return; }
    var box = g.getBoundingClientRect();
    var view = graph.getBoundingClientRect();
    if (box.left >= view.left && box.right <= view.right &&
        box.top >= view.top && box.bottom <= view.bottom) { return; }
    graph.scrollLeft += (box.left + box.width / 2) - (view.left + view.width / 2);
    graph.scrollTop += (box.top + box.height / 2) - (view.top + view.height / 2);
  }

  function renderStep(st) {
    $("mgp-step-title").textContent = st.title;
    var body = $("mgp-step-body");
    body.textContent = "";
    if (st.phase === "start" || st.phase === "forward") {
      body.appendChild(eqList(null, st.lines, "mgp-eqs-fwd"));
      if (st.phase === "forward") {
        body.appendChild(el("p", "mgp-hint", "Gradients stay hidden until the backward pass."));
      }
      return;
    }
    body.appendChild(eqList("gradient received (chain rule)", st.incoming, "mgp-eqs-in"));
    if (st.outgoing.length) {
      body.appendChild(eqList("sent to its inputs: upstream · local", st.outgoing, "mgp-eqs-out"));
    } else {
      body.appendChild(el("p", "mgp-hint", NODES[st.node].leaf
        ? "A leaf: its gradient is complete and nothing flows further back."
        : "No inputs that need a gradient."));
    }
  }

  var rows = {};
  function buildValues() {
    var names = DATA.forward.slice();
    if (names.length > 40) {
      names = names.filter(function (n) { return NODES[n].named || n === DATA.root; });
    }
    var tbody = document.querySelector("#mgp-values tbody");
    names.forEach(function (name) {
      var tr = el("tr");
      tr.setAttribute("data-mgp-node", name);
      var label = el("td", "mgp-v-label", NODES[name].typeset || NODES[name].label);
      var d = el("td", "mgp-v-data");
      var g = el("td", "mgp-v-grad");
      tr.appendChild(label); tr.appendChild(d); tr.appendChild(g);
      tr.addEventListener("click", function () { select(name); });
      tbody.appendChild(tr);
      rows[name] = { tr: tr, data: d, grad: g };
    });
  }

  function renderValues(s) {
    Object.keys(rows).forEach(function (name) {
      var r = rows[name];
      var key = dataText(s, name) + "|" + gradText(s, name) + "|" + gradState(s, name) + "|" +
        (s.step.node === name) + "|" + (selected === name);
      if (r.key === key) { return; }
      r.key = key;
      r.data.textContent = dataText(s, name);
      r.grad.textContent = gradText(s, name);
      r.grad.setAttribute("data-mgp-grad", gradState(s, name));
      r.tr.classList.toggle("mgp-row-current", s.step.node === name);
      r.tr.classList.toggle("mgp-row-selected", selected === name);
    });
  }

  // the clicked node, or else the node of the current step
  function renderSelected(s) {
    var name = selected || s.step.node;
    var body = $("mgp-node-body");
    $("mgp-node-title").textContent = selected ? "Selected node"
      : "Current node (click any node to pin it)";
    if (!name) {
      body.textContent = "";
      body.appendChild(el("p", "mgp-hint", "Click a node in the graph (or a row of the " +
        "table) to see its label, op, data, grad and the chain rule behind its gradient."));
      return;
    }
    var n = NODES[name];
    body.textContent = "";
    var dl = el("dl", "mgp-facts");
    var add = function (k, v) {
      dl.appendChild(el("dt", null, k));
      dl.appendChild(el("dd", null, v));
    };
    add("label", n.typeset || n.label);
    add("op", n.op ? (n.symbol + (n.symbol !== n.op ? "  (" + n.op + ")" : "")) : "leaf");
    if (n.rule) { add("rule", n.rule); }
    if (n.shape) { add("shape", "(" + n.shape.join(", ") + ")"); }
    add("data", dataText(s, name));
    add("grad", n.partial + " = " + gradText(s, name) +
        (gradState(s, name) === "pending" ? "  (so far)" : ""));
    body.appendChild(dl);
    if (name in s.grad) {
      body.appendChild(el("div", "mgp-eq-title", "explain(): the chain rule over all paths"));
      body.appendChild(el("pre", "mgp-explain", n.explain));
    } else {
      body.appendChild(el("p", "mgp-hint", "explain() appears once the backward pass has " +
        "finished this node's gradient."));
    }
  }

  function renderControls(st) {
    $("mgp-slider").value = String(current);
    $("mgp-counter").textContent = "step " + current + " / " + (STEPS.length - 1);
    var phase = $("mgp-phase");
    phase.textContent = st.phase;
    phase.className = "mgp-phase mgp-phase-" + st.phase;
    $("mgp-prev").disabled = current === 0;
    $("mgp-next").disabled = current === STEPS.length - 1;
    document.body.setAttribute("data-mgp-step", String(current));
  }

  function select(name) {
    selected = selected === name ? null : name;  // a second click unpins
    render(current);
  }

  // ---- controls -----------------------------------------------------------------------------
  var timer = null;
  function setPlaying(on) {
    if (on && !timer) {
      if (current === STEPS.length - 1) { render(0); }
      timer = window.setInterval(function () {
        if (current >= STEPS.length - 1) { setPlaying(false); return; }
        render(current + 1);
      }, 900);
    } else if (!on && timer) {
      window.clearInterval(timer);
      timer = null;
    }
    $("mgp-play").textContent = timer ? "\u275A\u275A Pause" : "\u25B6 Play";
    $("mgp-play").setAttribute("aria-pressed", timer ? "true" : "false");
  }

  function go(k) { render(k); }
  function next() { go(current + 1); }
  function prev() { go(current - 1); }

  $("mgp-next").addEventListener("click", function () { setPlaying(false); next(); });
  $("mgp-prev").addEventListener("click", function () { setPlaying(false); prev(); });
  $("mgp-reset").addEventListener("click", function () { setPlaying(false); go(0); });
  $("mgp-play").addEventListener("click", function () { setPlaying(!timer); });
  var slider = $("mgp-slider");
  slider.max = String(STEPS.length - 1);
  slider.addEventListener("input", function () {
    setPlaying(false);
    go(parseInt(slider.value, 10));
  });

  document.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var tag = e.target && e.target.tagName;
    if (e.key === "ArrowRight") { setPlaying(false); next(); }
    else if (e.key === "ArrowLeft") { setPlaying(false); prev(); }
    else if (e.key === "Home") { setPlaying(false); go(0); }
    else if (e.key === "End") { setPlaying(false); go(STEPS.length - 1); }
    else if (e.key === " " && tag !== "BUTTON") { setPlaying(!timer); }
    else if (e.key === "Escape" && selected) { select(selected); }
    else { return; }
    e.preventDefault();
  });

  Object.keys(groups).forEach(function (title) {
    var g = groups[title];
    var name = g.getAttribute("data-mgp-node");
    if (!name) { return; }
    g.addEventListener("click", function () { select(name); });
  });

  // Fitted, the whole drawing is in view: scaled down (never up) to the graph pane's width
  // and to the window's height below the pane's top. Actual size scrolls.
  var svgEl = graph.querySelector("svg");
  var naturalW = svgEl ? svgEl.width.baseVal.value : 0;
  var naturalH = svgEl ? svgEl.height.baseVal.value : 0;
  function fitToWindow() {
    if (!svgEl || !(naturalW > 0) || !(naturalH > 0)) { return; }
    var scale = 1;
    if (graph.classList.contains("mgp-fit")) {
      var style = window.getComputedStyle(graph);
      var padY = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
      var padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      var cap = parseFloat(style.maxHeight);
      var below = window.innerHeight - graph.getBoundingClientRect().top - 16;
      var availH = Math.max(120, Math.min(below, isNaN(cap) ? below : cap) - padY);
      var availW = Math.max(120, graph.clientWidth - padX);
      scale = Math.min(1, availW / naturalW, availH / naturalH);
    }
    svgEl.style.width = Math.floor(naturalW * scale) + "px";
    svgEl.style.height = Math.floor(naturalH * scale) + "px";
  }
  window.addEventListener("resize", fitToWindow);

  function setFit(fit) {
    graph.classList.toggle("mgp-fit", fit);
    $("mgp-zoom").textContent = fit ? "Actual size" : "Fit to window";
    fitToWindow();
    if (!fit && STEPS[current].node) { reveal(groups[STEPS[current].node]); }
  }
  $("mgp-zoom").addEventListener("click", function () {
    setFit(!graph.classList.contains("mgp-fit"));
  });

  // Layout. A flat graph (rankdir LR) that stays readable at full width gets the whole
  // width with the panel underneath; any other graph keeps the panel at the side. Every
  // graph opens fitted to the window, so a large one is seen whole first ("Actual size"
  // to read it; it then scrolls, following the current node).
  var main = document.querySelector(".mgp-main");
  var box = svgEl && svgEl.viewBox && svgEl.viewBox.baseVal;
  if (naturalW > 0 && box && box.height > 0) {
    main.classList.add("mgp-wide");
    var flat = box.width / box.height > 2.5;
    if (!flat || graph.clientWidth / naturalW < 0.55) {
      main.classList.remove("mgp-wide");
    }
  }
  setFit(true);

  buildValues();
  render(0);
  window.mgpExplorer = {
    go: go, next: next, prev: prev,
    current: function () { return current; },
    count: STEPS.length,
    select: select
  };
})();
