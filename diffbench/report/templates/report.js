// Downloads are built on click from the embedded JSON, as data: URLs:
// no server, no network, works from file://.
(function () {
  var data = JSON.parse(document.getElementById("run-data").textContent);
  function cell(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "object") v = JSON.stringify(v);
    v = String(v);
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  function csv() {
    var lines = [data.keys.join(",")];
    data.results.forEach(function (r) {
      lines.push(data.keys.map(function (k) { return cell(r[k]); }).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }
  function offer(id, type, build) {
    var a = document.getElementById(id);
    a.addEventListener("click", function () {
      a.href = "data:" + type + ";charset=utf-8," + encodeURIComponent(build());
    });
  }
  offer("dl-csv", "text/csv", csv);
  offer("dl-json", "application/json", function () { return JSON.stringify(data.results, null, 1); });
  // printing shows folded formulas and code too
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
