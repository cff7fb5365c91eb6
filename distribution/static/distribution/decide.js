// The operator's decision page: add and remove placement rows (accounts, topics or campaigns).
(function () {
  "use strict";
  var box = document.querySelector("[data-placement-rows]");
  var template = document.getElementById("placement-row-template");
  var add = document.querySelector("[data-add-row]");
  if (!box || !template || !add) return;

  function nextIndex() {
    var used = Array.prototype.map.call(box.querySelectorAll("input[name^='p-']"), function (input) {
      return parseInt(input.name.split("-")[1], 10);
    });
    return used.length ? Math.max.apply(null, used) + 1 : 0;
  }

  add.addEventListener("click", function () {
    var index = String(nextIndex());
    var html = template.innerHTML.split("__i__").join(index);
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    box.appendChild(row);
    var first = row.querySelector("input");
    if (first) first.focus();
  });

  box.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) return;
    var row = button.closest("[data-placement-row]");
    if (box.querySelectorAll("[data-placement-row]").length > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    }
  });
})();
