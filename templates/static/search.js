/* Search page: sends the query and filters to the search engine (Lunr in a worker, or Pagefind) and shows what it finds.
   Results are built with textContent and <mark> elements only, so no paper text can ever become
   markup. The query and filters live in the URL (?q=lora&topic=peft), so a search can be shared. */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var moreButton = document.getElementById("search-more-button");
  var selects = { topic: "filter-topic", kind: "filter-kind", year: "filter-year" };
  var PAGE = 50;
  var engine = null;
  var ready = false;
  var latest = 0;
  var limit = PAGE;
  var timer = null;

  Object.keys(selects).forEach(function (name) { selects[name] = document.getElementById(selects[name]); });

  function filters() {
    var out = {};
    Object.keys(selects).forEach(function (name) { if (selects[name].value) out[name] = selects[name].value; });
    return out;
  }

  function optionText(select) {
    return select.options[select.selectedIndex].textContent.replace(/^(— )+/, "");
  }

  /* The filters as words around "papers": the kind before it, topic and year after it. */
  function describeFilters() {
    var after = [];
    if (selects.topic.value) after.push("in " + optionText(selects.topic));
    if (selects.year.value) after.push(selects.year.value === "none" ? "with no date" : "from " + selects.year.value);
    return { kind: selects.kind.value, after: after.join(", ") };
  }

  /* "27 benchmark papers in Reasoning match “reward”", "No paper from 2021 matches “dpo”". */
  function describeAnswer(total, query, scope) {
    var noun = (scope.kind ? scope.kind + " " : "") + (total === 1 || !total ? "paper" : "papers");
    var sentence = (total ? total + " " : "No ") + noun + (scope.after ? " " + scope.after : "");
    if (query) sentence += (total === 1 || !total ? " matches " : " match ") + "“" + query + "”";
    return sentence + ".";
  }

  function remember() {
    var url = new URL(window.location.href);
    url.search = "";
    if (input.value.trim()) url.searchParams.set("q", input.value);
    var f = filters();
    Object.keys(f).forEach(function (name) { url.searchParams.set(name, f[name]); });
    window.history.replaceState(null, "", url);
  }

  function run() {
    remember();
    if (!ready) return;
    var id = latest += 1;
    var question = { query: input.value.trim(), scope: describeFilters() };
    function failed(error) {
      if (id === latest) status.textContent = "The search failed (" + error.message + "). Try reloading the page.";
    }
    engine.search({ q: input.value, filters: filters(), limit: limit }).then(function (answer) {
      if (id !== latest) return;  // never a late answer to old words
      show(answer, question.query, question.scope);
      if (answer.rest) {
        answer.rest.then(function (full) {
          if (id === latest) show(full, question.query, question.scope, answer.results.length);
        }, failed);
      }
    }, failed);
  }

  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];

  /* "2024-03-05" → "March 5, 2024", as the site's own lists write dates (the `longdate` filter). */
  function longDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? MONTHS[Number(m[2]) - 1] + " " + Number(m[3]) + ", " + m[1] : "";
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  /* Text with the given [start, end) ranges wrapped in <mark>. */
  function marked(tag, className, text, ranges) {
    var el = element(tag, className);
    var at = 0;
    ranges.forEach(function (r) {
      if (r[0] > at) el.appendChild(document.createTextNode(text.slice(at, r[0])));
      el.appendChild(element("mark", "", text.slice(r[0], r[1])));
      at = r[1];
    });
    if (at < text.length) el.appendChild(document.createTextNode(text.slice(at)));
    return el;
  }

  /* Shows an answer for the query it was asked for (the box may already hold more letters). */
  /* `shown` results are on screen already (the first few of the same answer): add the others. */
  function show(answer, query, scope, shown) {
    shown = shown || 0;
    if (!shown) list.textContent = "";
    more.hidden = true;
    var filtered = scope.kind || scope.after;
    if (!query && !filtered) {
      status.textContent = "Type words from a title or abstract, or pick a topic, kind or year.";
      return;
    }
    if (!answer.total) {
      status.textContent = describeAnswer(0, query, scope) + " " +
        (filtered ? "Try removing a filter, or " : "Try ") + "fewer or shorter words, or browse the topics.";
      return;
    }
    status.textContent = describeAnswer(answer.total, query, scope) +
      (answer.results.length < answer.total ? " Showing the first " + answer.results.length + "." : "");
    answer.results.slice(shown).forEach(function (hit) {
      var item = element("li", "paper");
      var link = marked("a", "paper-title", hit.title, hit.titleRanges);
      link.href = hit.url;
      item.appendChild(link);
      var meta = element("div", "paper-meta");
      if (hit.date) {  /* a paper whose listing gives no date shows none */
        var date = element("time", "", longDate(hit.date));
        date.dateTime = hit.date;
        meta.appendChild(date);
      }
      meta.appendChild(element("span", "kind", hit.kind));
      if (hit.upvotes !== null && hit.upvotes !== undefined) meta.appendChild(element("span", "", "▲ " + hit.upvotes));
      item.appendChild(meta);
      item.appendChild(marked("p", "excerpt", hit.abstract, hit.abstractRanges));
      list.appendChild(item);
    });
    more.hidden = answer.results.length >= answer.total || Boolean(answer.rest);
    if (window.performance && performance.mark && !performance.getEntriesByName("sitegen:first-results").length) {
      performance.mark("sitegen:first-results");  // read by benchmarks/search_page.py
    }
  }

  function results() { return Array.prototype.slice.call(list.querySelectorAll("a.paper-title")); }

  /* ↓ from the box goes to the first result, ↓/↑ move between results, ↑ from the first goes back;
     Enter on a result follows its link, as any link does. */
  function onKey(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var links = results();
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? at + 1 : at - 1;
    if (at < 0 && event.key === "ArrowUp") return;
    event.preventDefault();
    if (next < 0) input.focus();
    else links[Math.min(next, links.length - 1)].focus();
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    limit = PAGE;
    timer = window.setTimeout(run, 150);
  });
  Object.keys(selects).forEach(function (name) {
    selects[name].addEventListener("change", function () { limit = PAGE; run(); });
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); window.clearTimeout(timer); run(); });
  moreButton.addEventListener("click", function () { limit += PAGE; run(); });
  input.addEventListener("keydown", onKey);
  list.addEventListener("keydown", onKey);

  var params = new URL(window.location.href).searchParams;
  input.value = params.get("q") || "";
  Object.keys(selects).forEach(function (name) {
    var wanted = params.get(name);
    if (wanted && Array.prototype.some.call(selects[name].options, function (o) { return o.value === wanted; })) {
      selects[name].value = wanted;
    }
  });

  /* Lunr: the index sitegen built, loaded and queried in a Web Worker (search-worker.js). */
  function lunrEngine(onReady, onError) {
    if (typeof Worker === "undefined") {
      onError("this browser has no Web Workers");
      return null;
    }
    var worker = new Worker(form.dataset.worker);
    var waiting = {};
    var asked = 0;
    worker.onmessage = function (event) {
      var message = event.data;
      if (message.type === "ready") onReady();
      else if (message.type === "error") onError(message.message);
      else if (message.type === "results" && waiting[message.id]) {
        waiting[message.id](message.answer);
        delete waiting[message.id];
      }
    };
    worker.onerror = function () { onError("the search worker could not start"); };
    worker.postMessage({
      type: "init",
      lunr: new URL(form.dataset.lunr, window.location.href).href,
      text: new URL(form.dataset.text, window.location.href).href,
      index: new URL(form.dataset.index, window.location.href).href,
      docs: new URL(form.dataset.docs, window.location.href).href
    });
    return {
      search: function (request) {
        return new Promise(function (resolve) {
          asked += 1;
          waiting[asked] = resolve;
          worker.postMessage({ type: "search", id: asked, q: request.q, filters: request.filters, limit: request.limit });
        });
      }
    };
  }

  /* Pagefind, for surveys too large for one Lunr index: pagefind.js fetches only the index chunks
     and result fragments a query needs (and searches in its own worker). */
  function pagefindEngine(onReady, onError) {
    var FIRST_FEW = 5;  /* about a screenful; within the six requests a browser makes at once */
    var shards = [];
    /* Started by pagefind-start.js in the page's head. Pagefind's own mergeIndex orders merged
       results by score even when sorting by date, so several indexes are merged here. */
    (window.sitegenPagefind || Promise.reject(new Error("pagefind-start.js did not run")))
      .then(function (modules) { shards = modules; })
      .then(onReady, function (error) { onError(error && error.message ? error.message : String(error)); });

    function searchAll(query, options) {
      return Promise.all(shards.map(function (shard) { return shard.search(query, options); }))
        .then(function (answers) {
          var results = [].concat.apply([], answers.map(function (a) { return a.results; }));
          /* Words: best first over all shards. Filters alone: each shard lists newest first and
             the shards hold ever older papers, so their lists in order are newest first. */
          if (query !== null && answers.length > 1) results.sort(function (a, b) { return b.score - a.score; });
          return { results: results };
        });
    }

    /* The words Pagefind matched (its locations index the record's words, not always all of
       them), plus any word that starts with the last query word, the one perhaps still being
       typed, when it has three letters or more (as on the Lunr page, "pre-training" must not
       mark "prediction"). */
    function hitTest(record, typed) {
      var last = typed.length ? typed[typed.length - 1] : "";
      var prefix = last.length > 2 ? last : null;
      var matched = {};
      var all = record.content.split(/\s+/);
      (record.locations || []).forEach(function (i) {
        var word = SitegenText.core(all[i] || "");
        if (word) matched[word] = true;
      });
      return function (word) {
        return matched[word] || (prefix !== null && word.indexOf(prefix) === 0);
      };
    }

    /* A record's text is its title, then its abstract (sitegen does not store the abstract twice). */
    function abstractOf(record) {
      var content = record.content || "", title = record.meta.title || "";
      return content.indexOf(title) === 0 ? content.slice(title.length).replace(/^[.\s]+/, "") : content;
    }

    function paper(record) {
      var meta = record.meta;
      return {
        title: meta.title, abstract: abstractOf(record), url: meta.url, date: meta.date || null, kind: meta.kind,
        topics: (record.filters && record.filters.topic) || [], upvotes: meta.upvotes ? Number(meta.upvotes) : null
      };
    }

    return {
      search: function (request) {
        var typed = SitegenText.words(request.q);
        if (!typed.length && !Object.keys(request.filters).length) return Promise.resolve({ total: 0, results: [] });
        var options = { filters: request.filters };
        if (!typed.length) options.sort = { date: "desc" };  /* filters alone: newest first, as with Lunr */
        return searchAll(typed.length ? request.q : null, options).then(function (found) {
          /* Each result's record is one more download: the first few are shown as soon as they
             arrive, the rest of the first page follows (a "show more" page comes whole). */
          function records(from, to) {
            return Promise.all(found.results.slice(from, to).map(function (r) { return r.data(); }))
              .then(function (loaded) {
                return loaded.map(function (record) {
                  return SitegenText.result(paper(record), hitTest(record, typed), typed.length > 0);
                });
              });
          }
          var total = found.results.length;
          var wanted = Math.min(request.limit, total);
          var first = request.limit <= PAGE ? Math.min(FIRST_FEW, wanted) : wanted;
          return records(0, first).then(function (shown) {
            var answer = { total: total, results: shown };
            if (first < wanted) {
              answer.rest = records(first, wanted).then(function (others) {
                return { total: total, results: shown.concat(others) };
              });
            }
            return answer;
          });
        });
      }
    };
  }

  var start = form.dataset.engine === "pagefind" ? pagefindEngine : lunrEngine;
  engine = start(function () {
    ready = true;
    form.classList.add("ready");
    run();
  }, function (message) {
    status.textContent = "The search index could not be loaded (" + message + "). Try reloading the page.";
  });
})();
