/* Search worker: loads lunr.js, the Lunr index built by sitegen and the paper records, and answers
   queries off the page's main thread, so typing never freezes while the index loads or a query runs.
   It sends back plain data (text plus the character ranges to highlight); the page turns that into
   elements with textContent, so paper text can never become markup. */
"use strict";

var index = null;
var docs = null;
var SNIPPET_CHARS = 260;

function fetchJson(url) {
  return fetch(url).then(function (response) {
    if (!response.ok) throw new Error(url + ": HTTP " + response.status);
    return response.json();
  });
}

function queryWords(text) {
  return lunr.tokenizer(text).map(function (t) { return t.toString(); })
    .filter(function (t) { return t.length > 0; });
}

function stem(word) {
  return lunr.stemmer(new lunr.Token(word)).toString();
}

/* Every word must match, as a whole (stemmed) word or, while typing, as a prefix. */
function lunrHits(words) {
  var hits = index.query(function (q) {
    words.forEach(function (word) {
      q.term(word, { boost: 10 });
      q.term(word, { usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING });
    });
  });
  var stems = words.map(stem);
  return hits.filter(function (hit) {
    var matched = Object.keys(hit.matchData.metadata);
    return words.every(function (word, i) {
      return matched.some(function (term) {
        return term === stems[i] || term.indexOf(word) === 0 || term.indexOf(stems[i]) === 0;
      });
    });
  });
}

function keep(doc, filters) {
  if (filters.topic && doc.topics.indexOf(filters.topic) < 0) return false;
  if (filters.kind && doc.kind !== filters.kind) return false;
  if (filters.year) {
    var year = doc.date ? doc.date.slice(0, 4) : "none";
    if (year !== filters.year) return false;
  }
  return true;
}

function newestFirst(a, b) {
  var da = docs[a].date || "", db = docs[b].date || "";
  if (da !== db) return da < db ? 1 : -1;
  return docs[a].title.localeCompare(docs[b].title);
}

/* Ranges of the words in `text` that the query matched: a word whose stem the index matched,
   or that starts with a word being typed. */
function highlights(text, words, terms) {
  var ranges = [];
  var re = /[^\s\-]+/g;
  var m;
  while ((m = re.exec(text)) !== null) {
    var core = /\w(?:.*\w)?/.exec(m[0]);  /* the word without the punctuation around it */
    if (!core) continue;
    var start = core.index, end = core.index + core[0].length;
    var word = core[0].toLowerCase();
    var hit = terms[stem(word)] || words.some(function (w) { return word.indexOf(w) === 0; });
    if (hit) ranges.push([m.index + start, m.index + end]);
  }
  return ranges;
}

/* The passage of the abstract around its first highlighted word, with ranges moved to match. */
function snippet(text, ranges) {
  if (text.length <= SNIPPET_CHARS) return { text: text, ranges: ranges };
  var first = ranges.length ? ranges[0][0] : 0;
  var start = Math.max(0, first - 80);
  if (start > 0) start = text.indexOf(" ", start) + 1 || start;
  var end = Math.min(text.length, start + SNIPPET_CHARS);
  if (end < text.length) end = text.lastIndexOf(" ", end) > start ? text.lastIndexOf(" ", end) : end;
  var prefix = start > 0 ? "…" : "";
  var shift = prefix.length - start;
  var kept = ranges.filter(function (r) { return r[0] >= start && r[1] <= end; })
    .map(function (r) { return [r[0] + shift, r[1] + shift]; });
  return { text: prefix + text.slice(start, end) + (end < text.length ? "…" : ""), ranges: kept };
}

function search(request) {
  var words = queryWords(request.q || "").map(function (w) { return w.toLowerCase(); });
  var filters = request.filters || {};
  var refs;
  var terms = {};
  if (words.length) {
    var hits = lunrHits(words);
    var inTitle = {};
    hits.forEach(function (hit) {
      Object.keys(hit.matchData.metadata).forEach(function (term) {
        terms[term] = true;
        if (hit.matchData.metadata[term].title) inTitle[hit.ref] = true;
      });
    });
    /* Title matches first, then by Lunr's score: a paper named after the query beats one
       that only mentions it, whatever the abstract's length. */
    hits.sort(function (a, b) {
      var ta = inTitle[a.ref] ? 1 : 0, tb = inTitle[b.ref] ? 1 : 0;
      return tb - ta || b.score - a.score;
    });
    refs = hits.map(function (hit) { return Number(hit.ref); });
  } else if (Object.keys(filters).length) {
    refs = docs.map(function (_, i) { return i; }).sort(newestFirst);
  } else {
    refs = [];  /* nothing asked yet: the page invites a query */
  }
  refs = refs.filter(function (ref) { return docs[ref] && keep(docs[ref], filters); });
  var shown = refs.slice(0, request.limit || 50).map(function (ref) {
    var doc = docs[ref];
    var abstract = snippet(doc.abstract || "", highlights(doc.abstract || "", words, terms));
    return {
      title: doc.title,
      titleRanges: words.length ? highlights(doc.title, words, terms) : [],
      url: doc.url,
      date: doc.date,
      kind: doc.kind,
      topics: doc.topics,
      upvotes: doc.upvotes,
      abstract: words.length ? abstract.text : snippet(doc.abstract || "", []).text,
      abstractRanges: words.length ? abstract.ranges : []
    };
  });
  return { total: refs.length, results: shown };
}

self.onmessage = function (event) {
  var message = event.data;
  if (message.type === "init") {
    /* Start both downloads before loading lunr.js, so they overlap. */
    var loading = Promise.all([fetchJson(message.index), fetchJson(message.docs)]);
    try {
      importScripts(message.lunr);
    } catch (error) {
      self.postMessage({ type: "error", message: "lunr.js could not be loaded" });
      return;
    }
    loading.then(function (data) {
      index = lunr.Index.load(data[0]);
      docs = data[1];
      self.postMessage({ type: "ready", count: docs.length });
    }).catch(function (error) {
      self.postMessage({ type: "error", message: error.message });
    });
  } else if (message.type === "search") {
    self.postMessage({ type: "results", id: message.id, answer: search(message) });
  }
};
