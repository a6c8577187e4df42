// The participant search of the action form: finds people, organisations and staff users and
// adds each chosen one as a checked box named "participant". Without JavaScript the search stays
// hidden and the "Participants by email" field does the same job.
(function () {
  "use strict";
  var box = document.getElementById("participant-search");
  var list = document.getElementById("participant-list");
  if (!box || !list || !window.fetch) {
    return;
  }
  var input = document.getElementById("participant-q");
  var results = document.getElementById("participant-results");
  var timer = null;
  var latest = 0;
  box.hidden = false;

  function chosen(token) {
    var boxes = list.querySelectorAll('input[name="participant"]');
    for (var i = 0; i < boxes.length; i += 1) {
      if (boxes[i].value === token) {
        boxes[i].checked = true;
        return true;
      }
    }
    return false;
  }

  function add(item) {
    if (chosen(item.token)) {
      return;
    }
    var li = document.createElement("li");
    var label = document.createElement("label");
    label.className = "form-check-label";
    var check = document.createElement("input");
    check.type = "checkbox";
    check.name = "participant";
    check.value = item.token;
    check.checked = true;
    check.className = "form-check-input me-1";
    label.appendChild(check);
    label.appendChild(document.createTextNode(" " + item.label));
    li.appendChild(label);
    list.appendChild(li);
  }

  function show(items) {
    results.replaceChildren();
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "list-group-item list-group-item-action";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link p-0 text-start";
      button.textContent = item.label + (item.email ? " <" + item.email + ">" : "");
      button.addEventListener("click", function () {
        add(item);
        results.replaceChildren();
        input.value = "";
        input.focus();
      });
      li.appendChild(button);
      results.appendChild(li);
    });
  }

  function search() {
    var q = input.value.trim();
    if (q.length < 2) {
      results.replaceChildren();
      return;
    }
    var ticket = (latest += 1);
    fetch(box.dataset.url + "?q=" + encodeURIComponent(q), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { results: [] };
      })
      .then(function (data) {
        if (ticket === latest) {
          show(data.results || []);
        }
      })
      .catch(function () {
        results.replaceChildren();
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
  // Enter in the search box must not submit the whole form.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      search();
    }
  });
})();
