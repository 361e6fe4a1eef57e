/* Search worker: loads lunr.js, the Lunr index built by sitegen and the paper records, and answers
   queries off the page's main thread, so typing never freezes while the index loads or a query runs.
   It sends back plain data (text plus the character ranges to highlight); the page turns that into
   elements with textContent, so paper text can never become markup. */
"use strict";

var index = null;
var docs = null;

function fetchJson(url) {
  return fetch(url).then(function (response) {
    if (!response.ok) throw new Error(url + ": HTTP " + response.status);
    return response.json();
  });
}

/* The query's words as the index saw the papers' words: lunr's tokenizer, trimmer and stop-word
   filter. A stop word ("of") is in no index entry, so requiring it would match nothing. */
function queryWords(text) {
  return lunr.tokenizer(text).map(function (t) { return lunr.trimmer(t); })
    .filter(function (t) { return t.toString().length > 0 && lunr.stopWordFilter(t); })
    .map(function (t) { return t.toString(); });
}

function stem(word) {
  return lunr.stemmer(new lunr.Token(word)).toString();
}

/* Every word must match as a whole (stemmed) word; the last may also match as a prefix, since it
   may still be being typed ("quantiz" finds "quantization"). Only the last: "pre-training" must not
   find "prediction" through "pre". */
function lunrHits(words) {
  var last = words.length - 1;
  var hits = index.query(function (q) {
    words.forEach(function (word, i) {
      q.term(word, { boost: 10 });
      if (i === last) q.term(word, { usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING });
    });
  });
  var stems = words.map(stem);
  return hits.filter(function (hit) {
    var matched = Object.keys(hit.matchData.metadata);
    return words.every(function (word, i) {
      return matched.some(function (term) {
        return term === stems[i] || (i === last && (term.indexOf(word) === 0 || term.indexOf(stems[i]) === 0));
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
  /* A word is highlighted when the index matched its stem, or it starts with the last query word. */
  var typing = words.length ? words[words.length - 1] : null;
  function isHit(word) {
    return terms[stem(word)] || (typing !== null && word.indexOf(typing) === 0);
  }
  var shown = refs.slice(0, request.limit || 50).map(function (ref) {
    return SitegenText.result(docs[ref], isHit, words.length > 0);
  });
  return { total: refs.length, results: shown };
}

self.onmessage = function (event) {
  var message = event.data;
  if (message.type === "init") {
    /* Start both downloads before loading lunr.js, so they overlap. */
    var loading = Promise.all([fetchJson(message.index), fetchJson(message.docs)]);
    try {
      importScripts(message.lunr, message.text);
    } catch (error) {
      self.postMessage({ type: "error", message: "lunr.js or search-text.js could not be loaded" });
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
