/* On every page: "/" puts the cursor in the search box, and a topic's paper list can be sorted by
   date or upvotes (the choice stays in the URL as ?sort=upvotes, so it can be shared). Small on
   purpose: every page loads it. Without JavaScript the pages work as they are, newest first. */
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var box = document.getElementById("search-input") || document.getElementById("site-search");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  /* On a phone the topic tree follows every page: it starts folded there, and opens when the
     header's Topics link leads to it. On a wide screen it is the sidebar, always open. */
  var fold = document.querySelector(".topic-fold");
  var narrow = window.matchMedia("(max-width: 63.99rem)");
  if (fold) {
    var place = function () { fold.open = !narrow.matches || window.location.hash === "#topic-nav"; };
    place();
    narrow.addEventListener("change", place);
    window.addEventListener("hashchange", place);
  }

  var control = document.getElementById("sort-control");
  var holder = document.getElementById("sortable");
  if (!control || !holder) return;
  var list = holder.querySelector("ol");
  if (!list) return;
  var select = document.getElementById("sort-select");
  var hint = document.getElementById("sort-hint");
  var items = Array.prototype.slice.call(list.children);
  var byDate = items.slice();
  var hints = { date: "Newest first; undated papers last.", upvotes: "Most upvoted first; papers without a count last." };

  function sort(order) {
    var sorted = order === "upvotes"
      ? items.slice().sort(function (a, b) {
          return Number(b.dataset.upvotes) - Number(a.dataset.upvotes) || byDate.indexOf(a) - byDate.indexOf(b);
        })
      : byDate;
    sorted.forEach(function (item) { list.appendChild(item); });
    hint.textContent = hints[order];
  }

  control.hidden = false;
  var wanted = new URL(window.location.href).searchParams.get("sort");
  if (wanted === "upvotes") {
    select.value = "upvotes";
    sort("upvotes");
  }
  select.addEventListener("change", function () {
    sort(select.value);
    var url = new URL(window.location.href);
    if (select.value === "date") url.searchParams.delete("sort"); else url.searchParams.set("sort", select.value);
    window.history.replaceState(null, "", url);
  });
})();
