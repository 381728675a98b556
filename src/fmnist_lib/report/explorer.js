/* The error explorer (fmnist_lib.report.explorer_page): the confusion matrix; click a cell for every test image of
   that confusion; click an image for its evidence. Plain JavaScript, no dependency and no request: the data
   and the image sprites (PNG data: URIs) sit in the page as JSON, in the script element of class fx-data. */
(function () {
  "use strict";

  var SORTS = [
    ["conf-desc", "confidence, highest first"], ["conf-asc", "confidence, lowest first"],
    ["entropy-desc", "entropy, highest first"], ["entropy-asc", "entropy, lowest first"],
    ["seeds-desc", "seeds wrong, most first"], ["index-asc", "test index"]
  ];
  var THUMB = 2, BIG = 5, CAM_SCALE = 4, NEIGHBOUR = 3;  // CSS pixels per image pixel; CAM canvases drawn at 4x

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function pct(p) { return (100 * p).toFixed(1) + "%"; }
  function clamp01(v) { return v < 0 ? 0 : v > 1 ? 1 : v; }
  function jet(v) {  // the jet colour map of the other pages' Grad-CAM figures, v in [0, 1] -> [r, g, b] 0..255
    return [clamp01(1.5 - Math.abs(4 * v - 3)) * 255, clamp01(1.5 - Math.abs(4 * v - 2)) * 255,
            clamp01(1.5 - Math.abs(4 * v - 1)) * 255];
  }

  // ---- sprites: each sheet decoded once into its bytes; a tile is read back as values in [0, 1] ----
  function loadSheet(spec) {
    return new Promise(function (resolve, reject) {
      var image = new Image();
      image.onload = function () {
        var canvas = document.createElement("canvas");
        canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
        var context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        resolve({size: spec.size, columns: spec.columns, width: canvas.width,
                 bytes: context.getImageData(0, 0, canvas.width, canvas.height).data});
      };
      image.onerror = function () { reject(new Error("a sprite sheet did not decode")); };
      image.src = spec.uri;
    });
  }
  function tile(sheet, i) {
    var s = sheet.size, out = new Float32Array(s * s);
    var x0 = (i % sheet.columns) * s, y0 = Math.floor(i / sheet.columns) * s;
    for (var y = 0; y < s; y++) for (var x = 0; x < s; x++) out[y * s + x] = sheet.bytes[((y0 + y) * sheet.width + x0 + x) * 4] / 255;
    return out;
  }
  function paintGrey(canvas, pixels, size) {
    canvas.width = size; canvas.height = size;
    var context = canvas.getContext("2d"), image = context.createImageData(size, size);
    for (var i = 0; i < size * size; i++) {
      var v = Math.round(pixels[i] * 255);
      image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v; image.data[4 * i + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }
  function bilinear(map, size, x, y) {  // x, y in map pixels (centres at i + 0.5), edges clamped
    x = Math.min(Math.max(x - 0.5, 0), size - 1); y = Math.min(Math.max(y - 0.5, 0), size - 1);
    var x0 = Math.floor(x), y0 = Math.floor(y), x1 = Math.min(x0 + 1, size - 1), y1 = Math.min(y0 + 1, size - 1);
    var fx = x - x0, fy = y - y0;
    return (map[y0 * size + x0] * (1 - fx) + map[y0 * size + x1] * fx) * (1 - fy) +
           (map[y1 * size + x0] * (1 - fx) + map[y1 * size + x1] * fx) * fy;
  }
  function paintCam(canvas, grey, greySize, cam, camSize) {  // jet CAM over the grey image, half and half
    var n = greySize * CAM_SCALE;
    canvas.width = n; canvas.height = n;
    var context = canvas.getContext("2d"), image = context.createImageData(n, n);
    for (var y = 0; y < n; y++) for (var x = 0; x < n; x++) {
      var g = grey[Math.floor(y / CAM_SCALE) * greySize + Math.floor(x / CAM_SCALE)] * 255;
      var colour = jet(bilinear(cam, camSize, (x + 0.5) * camSize / n, (y + 0.5) * camSize / n)), o = 4 * (y * n + x);
      image.data[o] = 0.5 * g + 0.5 * colour[0]; image.data[o + 1] = 0.5 * g + 0.5 * colour[1];
      image.data[o + 2] = 0.5 * g + 0.5 * colour[2]; image.data[o + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  function Explorer(root, data, sheets) {
    this.root = root; this.data = data; this.sheets = sheets; this.e = data.errors;
    this.cell = null; this.sort = "conf-desc"; this.suspectsOnly = false; this.shown = []; this.current = -1;
    this.cells = {};
    for (var i = 0; i < this.e.index.length; i++) {
      var key = this.e.label[i] + "," + this.e.pred[i];
      (this.cells[key] = this.cells[key] || []).push(i);
    }
  }

  Explorer.prototype.build = function () {
    var self = this, app = this.root.querySelector(".fx-app");
    this.status = el("p", {className: "fx-status", role: "status", "aria-live": "polite"});
    this.cellView = el("section", {className: "fx-cellview", hidden: true, "aria-label": "Images of the chosen cell"});
    this.detail = el("section", {className: "fx-detail", hidden: true, "aria-label": "Evidence for one image"});
    app.appendChild(el("div", {className: "fx-top"}, [this.matrix(), el("div", {className: "fx-help"}, [
      el("p", {text: "Click an off-diagonal cell to see every test image of that confusion; click an image for its " +
                     "evidence. Counts are test images; the diagonal holds the correctly classified ones."}),
      el("p", {className: "fx-legend"}, [el("span", {className: "fx-flag", text: "⚑"}), " label flagged by the audit  ",
        el("span", {className: "fx-always", text: "●"}), " wrong in every seed run"]),
      this.status])]));
    app.appendChild(el("div", {className: "fx-work"}, [this.cellView, this.detail]));
    this.root.addEventListener("keydown", function (event) { self.onKey(event); });
  };

  Explorer.prototype.matrix = function () {
    var self = this, d = this.data, n = d.classes.length, max = 1;
    for (var t = 0; t < n; t++) for (var p = 0; p < n; p++) if (t !== p) max = Math.max(max, d.confusion[t][p]);
    var head = el("tr", {}, [el("th", {scope: "col", className: "fx-corner", text: "true \\ predicted"})].concat(
      d.short.map(function (s, i) { return el("th", {scope: "col", title: d.classes[i]}, [el("span", {text: s})]); })));
    var body = d.classes.map(function (name, t) {
      return el("tr", {}, [el("th", {scope: "row", text: name})].concat(d.classes.map(function (_, p) {
        var count = d.confusion[t][p];
        if (t === p) return el("td", {className: "fx-diag", title: name + " correctly classified", text: String(count)});
        if (!count) return el("td", {className: "fx-zero", "aria-label": "no " + name + " taken for " + d.classes[p]}, ["·"]);
        var button = el("button", {type: "button", className: "fx-cell", "data-true": t, "data-pred": p,
          "aria-pressed": "false", "aria-label": name + " taken for " + d.classes[p] + ": " + count + " images",
          title: name + " → " + d.classes[p], text: String(count), onclick: function () { self.openCell(t, p); }});
        var heat = 0.12 + 0.88 * count / max;
        button.style.setProperty("--fx-heat", heat.toFixed(3));
        if (heat > 0.55) button.classList.add("fx-hot");
        return el("td", {}, [button]);
      })));
    });
    return el("table", {className: "fx-matrix"}, [el("caption", {text: "Confusion matrix of the test set: rows are " +
      "true classes, columns predicted classes"}), el("thead", {}, [head]), el("tbody", {}, body)]);
  };

  Explorer.prototype.openCell = function (t, p) {
    var self = this, d = this.data;
    this.cell = [t, p];
    this.root.querySelectorAll(".fx-cell").forEach(function (b) {
      b.setAttribute("aria-pressed", String(+b.dataset.true === t && +b.dataset.pred === p));
    });
    var select = el("select", {className: "fx-sort", onchange: function () { self.sort = select.value; self.renderGrid(); }},
      SORTS.map(function (s) {
        return el("option", {value: s[0], disabled: s[0] === "seeds-desc" && !d.seedRuns, text: s[1]});
      }));
    select.value = this.sort;
    var filter = el("input", {type: "checkbox", className: "fx-suspects", onchange: function () {
      self.suspectsOnly = filter.checked; self.renderGrid(); }});
    filter.checked = this.suspectsOnly;
    this.heading = el("h3", {tabindex: "-1", text: d.classes[t] + " taken for " + d.classes[p]});
    this.count = el("p", {className: "fx-count"});
    this.grid = el("div", {className: "fx-grid", role: "list"});
    this.cellView.replaceChildren(this.heading, el("div", {className: "fx-controls"}, [
      el("label", {}, ["Sort by ", select]), el("label", {}, [filter, " label suspects only"])]), this.count, this.grid);
    this.cellView.hidden = false; this.detail.hidden = true;
    this.renderGrid();
    this.heading.focus({preventScroll: true});
    this.cellView.scrollIntoView({block: "nearest"});
  };

  Explorer.prototype.order = function (rows) {
    var e = this.e, key = this.sort.split("-"), sign = key[1] === "desc" ? -1 : 1;
    var value = {conf: e.conf, entropy: e.entropy, seeds: e.wrong, index: e.index}[key[0]];
    return rows.slice().sort(function (a, b) { return sign * (value[a] - value[b]) || e.index[a] - e.index[b]; });
  };

  Explorer.prototype.seedsText = function (i) {
    return this.data.seedRuns ? this.e.wrong[i] + " of " + this.data.seedRuns : "not measured";
  };

  Explorer.prototype.renderGrid = function () {
    var self = this, e = this.e, all = this.cells[this.cell.join(",")] || [];
    this.shown = this.order(all.filter(function (i) { return !self.suspectsOnly || e.suspect[i]; }));
    this.detail.hidden = true;  // positions changed: the evidence shown belonged to the old order
    var flagged = all.filter(function (i) { return e.suspect[i]; }).length;
    this.count.textContent = "Showing " + this.shown.length + " of " + all.length + " images (" + flagged +
      " with a flagged label).";
    this.status.textContent = this.heading.textContent + ": " + this.shown.length + " images shown.";
    this.grid.replaceChildren.apply(this.grid, this.shown.map(function (i, position) {
      var canvas = el("canvas", {className: "fx-thumb-image", "aria-hidden": "true"});
      paintGrey(canvas, tile(self.sheets.image, i), self.sheets.image.size);
      canvas.style.width = canvas.style.height = THUMB * self.sheets.image.size + "px";
      var always = self.data.seedRuns && e.wrong[i] === self.data.seedRuns;
      var label = "Test image " + e.index[i] + ": " + pct(e.conf[i]) + " confident, entropy " + e.entropy[i].toFixed(2) +
        ", wrong in " + self.seedsText(i) + " seed runs" + (e.suspect[i] ? ", label flagged" : "");
      return el("div", {role: "listitem"}, [el("button", {type: "button", className: "fx-thumb", "data-index": e.index[i],
        "aria-label": label, title: label, onclick: function () { self.openImage(position); }}, [canvas,
        el("span", {className: "fx-thumb-caption"}, [pct(e.conf[i]),
          e.suspect[i] ? el("span", {className: "fx-flag", text: " ⚑"}) : null,
          always ? el("span", {className: "fx-always", text: " ●"}) : null])])]);
    }));
  };

  Explorer.prototype.figure = function (canvas, caption, className) {
    return el("figure", {className: className || "fx-figure"}, [canvas, el("figcaption", {text: caption})]);
  };

  Explorer.prototype.openImage = function (position) {
    var self = this, d = this.data, e = this.e, i = this.shown[position], s = this.sheets;
    this.current = position;
    var t = e.label[i], p = e.pred[i], grey = tile(s.image, i);
    var image = el("canvas", {className: "fx-big", "aria-label": "Test image " + e.index[i], role: "img"});
    paintGrey(image, grey, s.image.size);
    image.style.width = image.style.height = BIG * s.image.size + "px";
    function cam(sheet, cls) {
      var canvas = el("canvas", {className: "fx-cam", role: "img", "data-class": cls,
        "aria-label": "Grad-CAM for " + d.classes[cls] + " over test image " + e.index[i]});
      paintCam(canvas, grey, s.image.size, tile(sheet, i), sheet.size);
      canvas.style.width = canvas.style.height = BIG * s.image.size + "px";
      return canvas;
    }
    var probs = el("ol", {className: "fx-probs"}, e.top[i].map(function (cls, k) {
      var bar = el("span", {className: "fx-bar"}); bar.style.width = (100 * e.topP[i][k]).toFixed(1) + "%";
      return el("li", {className: cls === t ? "fx-is-true" : (cls === p ? "fx-is-pred" : "")}, [
        el("span", {className: "fx-prob-name", text: d.classes[cls] + (cls === t ? " (true)" : "")}),
        el("span", {className: "fx-bar-track"}, [bar]), el("span", {className: "fx-prob", text: pct(e.topP[i][k])})]);
    }));
    if (e.top[i].indexOf(t) < 0) {  // the true class outside the top 3: its probability after them
      var trueBar = el("span", {className: "fx-bar"}); trueBar.style.width = (100 * e.pTrue[i]).toFixed(1) + "%";
      probs.appendChild(el("li", {className: "fx-is-true fx-outside"}, [
        el("span", {className: "fx-prob-name", text: d.classes[t] + " (true)"}),
        el("span", {className: "fx-bar-track"}, [trueBar]), el("span", {className: "fx-prob", text: pct(e.pTrue[i])})]));
    }
    var aug = e.aug[i] < 0 ? "not available" : e.aug[i] === t ? "right (" + d.classes[t] + ")" :
      "also wrong: predicts " + d.classes[e.aug[i]];
    var facts = el("dl", {className: "fx-facts"}, [
      el("dt", {text: "Test index"}), el("dd", {className: "fx-test-index", text: String(e.index[i])}),
      el("dt", {text: "Confidence, entropy"}), el("dd", {text: pct(e.conf[i]) + ", " + e.entropy[i].toFixed(3) + " nats"}),
      el("dt", {text: "Seeds wrong"}), el("dd", {className: "fx-seeds", text: d.seedRuns ? this.seedsText(i) +
        " seed runs (see the note below)" : "not measured in this profile"}),
      el("dt", {text: "Augmented model"}), el("dd", {className: "fx-aug", text: aug}),
      el("dt", {text: "Label audit"}), el("dd", {className: "fx-audit", text: e.suspect[i] ?
        "flagged: the label " + d.classes[t] + " may be wrong" : "not flagged"})]);
    var neighbours = e.nb[i].map(function (slot, k) {
      var canvas = el("canvas", {"aria-hidden": "true"});
      paintGrey(canvas, tile(s.train, slot), s.train.size);
      canvas.style.width = canvas.style.height = NEIGHBOUR * s.train.size + "px";
      return self.figure(canvas, "#" + d.trainIndex[slot] + " · " + e.nbSim[i][k].toFixed(2), "fx-neighbour");
    });
    this.detailHeading = el("h3", {tabindex: "-1", text: "Test image " + e.index[i] + ": " + d.classes[t] +
      ", predicted " + d.classes[p]});
    var nav = el("div", {className: "fx-nav"}, [
      el("button", {type: "button", disabled: position === 0, text: "← Previous", onclick: function () { self.openImage(position - 1); }}),
      el("span", {text: (position + 1) + " of " + this.shown.length}),
      el("button", {type: "button", disabled: position === this.shown.length - 1, text: "Next →",
                    onclick: function () { self.openImage(position + 1); }}),
      el("button", {type: "button", text: "Back to the images", onclick: function () { self.closeImage(); }})]);
    this.detail.replaceChildren(this.detailHeading, nav,
      el("div", {className: "fx-evidence"}, [this.figure(image, "The image, labelled " + d.classes[t]),
        this.figure(cam(s.camPred, p), "Grad-CAM for " + d.classes[p] + " (predicted)"),
        this.figure(cam(s.camTrue, t), "Grad-CAM for " + d.classes[t] + " (true class)")]),
      el("p", {className: "fx-cam-legend"}, ["Grad-CAM: ", el("span", {className: "fx-colorbar", "aria-hidden": "true"}),
        " low to high weight"]),
      el("div", {className: "fx-side"}, [el("div", {}, [el("h4", {text: "Top-3 probabilities"}), probs]), facts]),
      el("h4", {text: "Nearest training images labelled " + d.classes[p] + " (cosine similarity of features)"}),
      el("div", {className: "fx-neighbours"}, neighbours),
      el("p", {className: "fx-note", text: d.texts.seeds}), el("p", {className: "fx-note", text: d.texts.audit}),
      el("p", {className: "fx-note", text: "Augmented model: " + d.texts.augmented + "."}));
    this.detail.hidden = false;
    this.status.textContent = "Showing the evidence for test image " + e.index[i] + ".";
    this.detailHeading.focus({preventScroll: true});
    this.detail.scrollIntoView({block: "nearest"});
  };

  Explorer.prototype.closeImage = function () {
    var button = this.grid && this.grid.querySelectorAll(".fx-thumb")[this.current];
    this.detail.hidden = true;
    if (button) button.focus();
  };

  Explorer.prototype.onKey = function (event) {  // arrows move between thumbnails, Escape leaves the evidence
    if (event.key === "Escape" && !this.detail.hidden) { this.closeImage(); event.preventDefault(); return; }
    var target = event.target;
    if (!target.classList || !target.classList.contains("fx-thumb")) return;
    var thumbs = Array.prototype.slice.call(this.grid.querySelectorAll(".fx-thumb")), at = thumbs.indexOf(target);
    var perRow = thumbs.filter(function (b) { return b.offsetTop === thumbs[0].offsetTop; }).length || 1;
    var step = {ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow, ArrowUp: -perRow}[event.key];
    if (step && thumbs[at + step]) { thumbs[at + step].focus(); event.preventDefault(); }
  };

  function init(root) {
    root.setAttribute("data-fx-ready", "loading");
    var data = JSON.parse(root.querySelector("script.fx-data").textContent), names = Object.keys(data.sprites);
    Promise.all(names.map(function (name) { return loadSheet(data.sprites[name]); })).then(function (loaded) {
      var sheets = {};
      names.forEach(function (name, k) { sheets[name] = loaded[k]; });
      new Explorer(root, data, sheets).build();
      root.querySelector(".fx-app").hidden = false;
      root.classList.add("fx-live");
      root.setAttribute("data-fx-ready", "yes");
    }).catch(function (error) {
      root.setAttribute("data-fx-ready", "failed");
      root.querySelector(".fx-static").insertBefore(el("p", {text: "The interactive explorer could not start (" +
        error.message + "); the counts are below."}), root.querySelector(".fx-static").firstChild);
    });
  }

  document.querySelectorAll("[data-fx-explorer]:not([data-fx-ready])").forEach(init);
})();
