// Lethe admin UI. Every page reads and submits without this script; it
// only (1) updates each period's posture label as the value is typed, from
// the bands the server embeds in #posture-bands (per unit, the count from
// which each band no longer applies, computed with the server's own period
// comparison), and (2) shows the evidence report's Print button.
(function () {
  "use strict";

  var data = document.getElementById("posture-bands");
  if (data) {
    var bands = JSON.parse(data.textContent);
    var label = function (text, unit) {
      if (!/^\s*\d+\s*$/.test(text)) {
        return "";
      }
      var n = parseInt(text, 10);
      if (n === 0) {
        return "off";
      }
      var limits = bands.thresholds[unit] || [];
      for (var i = 0; i < limits.length; i++) {
        if (n < limits[i]) {
          return bands.labels[i];
        }
      }
      return "beyond every band";
    };
    document.querySelectorAll(".period").forEach(function (row) {
      var count = row.querySelector("input[type=number]");
      var unit = row.querySelector("select");
      var out = row.querySelector("output.posture");
      if (!count || !unit || !out) {
        return;
      }
      var update = function () {
        var text = label(count.value, unit.value);
        out.textContent = text;
        out.setAttribute("data-posture", text);
      };
      count.addEventListener("input", update);
      unit.addEventListener("change", update);
    });
  }

  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
