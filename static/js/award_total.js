// The live total of the award registration form: sums the unit fields and names the level the
// total reaches, from the thresholds the page carries in data- attributes. Without JavaScript
// the "Check total and level" button gives the same answer from the server.
(function () {
  "use strict";
  var box = document.getElementById("award-total");
  var rows = document.getElementById("award-units");
  if (!box || !rows) {
    return;
  }
  var levels = [];
  try {
    levels = JSON.parse(box.getAttribute("data-levels") || "[]");
  } catch (error) {
    return;
  }
  levels.sort(function (a, b) { return a.threshold - b.threshold; });
  var current = parseInt(box.getAttribute("data-current") || "", 10);
  // Answering a request for information: the same level is fine, only a lower one is not.
  var sameAllowed = box.getAttribute("data-same-allowed") === "1";

  function number(text) {
    var cleaned = String(text || "").replace(/[\s,'_]/g, "");
    return /^[0-9]{1,12}$/.test(cleaned) ? parseInt(cleaned, 10) : 0;
  }

  function format(value) {
    return value.toLocaleString("en-GB");
  }

  function update() {
    var inputs = rows.querySelectorAll("input.award-units");
    var total = 0;
    for (var i = 0; i < inputs.length; i += 1) {
      total += number(inputs[i].value);
    }
    var reached = null;
    for (var j = 0; j < levels.length; j += 1) {
      if (levels[j].threshold <= total) {
        reached = levels[j];
      }
    }
    var text = "Total: " + format(total) + " units. ";
    var ok = false;
    if (!levels.length) {
      text += "No award levels are in force today.";
    } else if (!reached) {
      text += "This does not qualify yet: the lowest level, " + levels[0].name +
        ", starts at " + format(levels[0].threshold) + " units.";
    } else if (!isNaN(current) && sameAllowed && reached.threshold < current) {
      text += "That reaches " + reached.name + ", which is below the level applied for.";
    } else if (!isNaN(current) && !sameAllowed && reached.threshold <= current) {
      text += "That reaches " + reached.name + ", which is not higher than the current level.";
    } else {
      text += "Level reached: " + reached.name + " (from " + format(reached.threshold) + " units).";
      ok = true;
    }
    var line = document.createElement("p");
    line.className = "mb-0";
    line.textContent = text + " (The secretariat checks the figures.)";
    box.replaceChildren(line);
    box.classList.remove("alert-secondary", "alert-success", "alert-warning");
    box.classList.add(ok ? "alert-success" : "alert-warning");
  }

  rows.addEventListener("input", update);
})();

// The size of the chosen statements, checked before sending: a request over the server's limit
// is refused whole (413) and everything typed into the form would be lost.
(function () {
  "use strict";
  var limits = document.getElementById("award-evidence-limits");
  var input = document.querySelector('input[type="file"][name="evidence"]');
  if (!limits || !input || !input.form) {
    return;
  }
  var maxEach = parseInt(limits.getAttribute("data-max-each") || "", 10);
  var maxTotal = parseInt(limits.getAttribute("data-max-total") || "", 10);
  var maxFiles = parseInt(limits.getAttribute("data-max-files") || "", 10);
  var totalLabel = limits.getAttribute("data-total-label") || "";
  var note = document.createElement("div");
  note.className = "alert alert-danger py-2 mt-2";
  note.setAttribute("role", "alert");
  note.hidden = true;
  limits.after(note);

  function problem() {
    var files = input.files || [];
    var total = 0;
    for (var i = 0; i < files.length; i += 1) {
      if (!isNaN(maxEach) && files[i].size > maxEach) {
        return files[i].name + " is larger than this form accepts for one file.";
      }
      total += files[i].size;
    }
    if (!isNaN(maxFiles) && files.length > maxFiles) {
      return "Choose at most " + maxFiles + " files.";
    }
    if (!isNaN(maxTotal) && total > maxTotal) {
      return "The chosen files add up to " + (total / 1048576).toFixed(1) +
        " MB; the form accepts at most " + totalLabel + " in all. Choose fewer or smaller files.";
    }
    return "";
  }

  function show() {
    var text = problem();
    note.textContent = text;
    note.hidden = !text;
    return text;
  }

  input.addEventListener("change", show);
  input.form.addEventListener("submit", function (event) {
    if (show()) {
      event.preventDefault();
      input.focus();
    }
  });
})();
