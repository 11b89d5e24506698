// The dashboard's only script (docs/dashboard.md): times in the viewer's zone (UTC stays on
// hover), live logs by server-sent events, and a running job's page kept fresh. Pages work
// without it; nothing here is needed to read them.
(function () {
  "use strict";

  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit", hour12: false, timeZoneName: "short"
  });

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (!isNaN(moment.getTime())) {
        element.textContent = format.format(moment);
        element.classList.add("local");
      }
    });
  }

  function badge(state) {
    var span = document.createElement("span");
    span.className = "badge st-" + state;
    span.textContent = state;
    return span;
  }

  function section(box, task, attempt) {
    var found = null;
    box.querySelectorAll("section.attempt").forEach(function (s) {
      if (s.dataset.task === task && s.dataset.attempt === String(attempt)) { found = s; }
    });
    if (found) { return found.querySelector("pre.log"); }
    var none = document.getElementById("no-logs");
    if (none) { none.remove(); }
    found = document.createElement("section");
    found.className = "attempt";
    found.dataset.task = task;
    found.dataset.attempt = String(attempt);
    var title = document.createElement("h2");
    title.textContent = "== " + task + " (attempt " + attempt + ", running) ==";
    var pre = document.createElement("pre");
    pre.className = "log";
    found.appendChild(title);
    found.appendChild(pre);
    box.appendChild(found);
    return pre;
  }

  function follow(box) {
    var live = document.getElementById("live");
    var source = new EventSource(box.dataset.stream);
    source.addEventListener("lines", function (event) {
      var atBottom = window.innerHeight + window.scrollY >= document.body.offsetHeight - 40;
      JSON.parse(event.data).lines.forEach(function (line) {
        var span = document.createElement("span");
        span.className = line.stream === "stderr" ? "e" : "o";
        span.textContent = line.text + "\n";
        section(box, line.task, line.attempt).appendChild(span);
      });
      if (atBottom) { window.scrollTo(0, document.body.scrollHeight); }
    });
    source.addEventListener("end", function (event) {
      var data = JSON.parse(event.data);
      source.close();
      if (live) {
        live.textContent = "The job ended: " + data.state + (data.reason ? " (" + data.reason + ")" : "") + ".";
      }
      var state = document.getElementById("job-state");
      if (state) { state.replaceChildren(badge(data.state)); }
    });
    source.addEventListener("error", function () {
      if (live && source.readyState !== EventSource.CLOSED) {
        live.textContent = "The connection was lost; trying again.";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    var box = document.querySelector("[data-stream]");
    if (box) { follow(box); }
    var every = Number(document.body.dataset.refresh || 0);
    if (every > 0) {
      window.setTimeout(function () { window.location.reload(); }, every * 1000);
    }
  });
}());
