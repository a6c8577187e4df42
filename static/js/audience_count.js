// The audience form's live count: after any change of a filter or the purpose, ask the count
// endpoint how many people the unsaved filters reach. Without JavaScript the "Preview" button
// does the same on the server.
(function () {
  "use strict";
  var form = document.getElementById("audience-form");
  var output = document.getElementById("live-count");
  if (!form || !output || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var timer = null;
  var latest = 0;

  function query() {
    var params = new URLSearchParams();
    var data = new FormData(form);
    data.forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "name" && name !== "description") {
        params.append(name, value);
      }
    });
    if (form.dataset.audienceId) {
      params.append("audience_id", form.dataset.audienceId);
    }
    return params.toString();
  }

  function update() {
    var asked = ++latest;
    output.textContent = "Counting…";
    fetch(form.dataset.countUrl + "?" + query(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        if (asked !== latest) {
          return;
        }
        if (typeof body.count === "number") {
          output.textContent = body.count + (body.count === 1 ? " person" : " people") + " reached.";
        } else {
          output.textContent = "These filters cannot be counted: use Preview to see why.";
        }
      })
      .catch(function () {
        if (asked === latest) {
          output.textContent = "";
        }
      });
  }

  form.addEventListener("change", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 300);
  });
  form.addEventListener("input", function (event) {
    if (event.target && event.target.type === "text") {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 500);
    }
  });
})();
