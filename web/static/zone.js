// The guest pages' only script: show the free times in the browser's time zone.
// Without it the times are in the workspace's zone and the form above them changes it.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  if (params.has("tz")) {
    return;
  }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var select = document.getElementById("tz");
  if (!zone || !select || select.value === zone) {
    return;
  }
  params.set("tz", zone);
  window.location.replace(window.location.pathname + "?" + params.toString());
})();
