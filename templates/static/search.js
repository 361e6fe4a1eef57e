/* Search page: loads the Lunr index built by sitegen and shows results as you type.
   Results are built with textContent only, so no paper text can ever become markup. */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form || typeof lunr === "undefined") return;
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var index = null;
  var docs = null;
  var timer = null;

  function fetchJson(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + ": HTTP " + response.status);
      return response.json();
    });
  }

  function tokens(text) {
    return lunr.tokenizer(text).map(function (t) { return t.toString(); })
      .filter(function (t) { return t.length > 0; });
  }

  /* Every word must match (as a whole word or, while typing, as a prefix);
     the title boost set at build time ranks title matches first. */
  function search(text) {
    var words = tokens(text);
    if (!words.length) return [];
    var hits = index.query(function (q) {
      words.forEach(function (word) {
        q.term(word, { boost: 10 });
        q.term(word, { usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING });
      });
    });
    return hits.filter(function (hit) {
      var matched = Object.keys(hit.matchData.metadata);
      return words.every(function (word) {
        var stem = lunr.stemmer(new lunr.Token(word)).toString();
        return matched.some(function (term) {
          return term === stem || term.indexOf(word) === 0 || term.indexOf(stem) === 0;
        });
      });
    });
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function show(text) {
    var url = new URL(window.location.href);
    if (text) url.searchParams.set("q", text); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
    list.textContent = "";
    if (!text.trim()) { status.textContent = "Type words from a title or abstract."; return; }
    var hits = search(text);
    if (!hits.length) {
      status.textContent = "No paper matches “" + text + "”. Try fewer or shorter words.";
      return;
    }
    status.textContent = hits.length + (hits.length === 1 ? " paper matches" : " papers match") + " “" + text + "”.";
    hits.forEach(function (hit) {
      var doc = docs[hit.ref];
      if (!doc) return;
      var item = element("li", "paper");
      var link = element("a", "paper-title", doc.title);
      link.href = doc.url;
      item.appendChild(link);
      var meta = element("div", "paper-meta");
      meta.appendChild(element("span", "", doc.date || "date unknown"));
      meta.appendChild(element("span", "kind", doc.kind));
      item.appendChild(meta);
      item.appendChild(element("p", "excerpt", doc.excerpt));
      list.appendChild(item);
    });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { show(input.value); }, 120);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
  });

  Promise.all([fetchJson(form.dataset.index), fetchJson(form.dataset.docs)]).then(function (data) {
    index = lunr.Index.load(data[0]);
    docs = data[1];
    form.classList.add("ready");
    var initial = new URL(window.location.href).searchParams.get("q") || "";
    input.value = initial;
    show(initial);
  }).catch(function (error) {
    status.textContent = "The search index could not be loaded (" + error.message + ").";
  });
})();
