/* What both search engines' answers need from the text of a paper: the character ranges of the
   words a query matched, and the passage of an abstract around the first of them. Loaded by the
   Lunr worker (importScripts) and, for Pagefind, by the page itself. Plain data only: the page
   builds elements with textContent, so paper text can never become markup. */
"use strict";

var SitegenText = (function () {
  var SNIPPET_CHARS = 260;

  /* [start, end) of every word of `text` for which isHit(lowercase word) is true; a word is what
     Lunr's tokenizer cuts (between spaces and hyphens) without the punctuation around it. */
  function ranges(text, isHit) {
    var out = [];
    var re = /[^\s\-]+/g;
    var m;
    while ((m = re.exec(text)) !== null) {
      var core = /\w(?:.*\w)?/.exec(m[0]);
      if (core && isHit(core[0].toLowerCase())) out.push([m.index + core.index, m.index + core.index + core[0].length]);
    }
    return out;
  }

  /* The passage of `text` around its first range, with the ranges moved to match. */
  function snippet(text, found) {
    if (text.length <= SNIPPET_CHARS) return { text: text, ranges: found };
    var first = found.length ? found[0][0] : 0;
    var start = Math.max(0, first - 80);
    if (start > 0) start = text.indexOf(" ", start) + 1 || start;
    var end = Math.min(text.length, start + SNIPPET_CHARS);
    if (end < text.length) end = text.lastIndexOf(" ", end) > start ? text.lastIndexOf(" ", end) : end;
    var prefix = start > 0 ? "…" : "";
    var shift = prefix.length - start;
    var kept = found.filter(function (r) { return r[0] >= start && r[1] <= end; })
      .map(function (r) { return [r[0] + shift, r[1] + shift]; });
    return { text: prefix + text.slice(start, end) + (end < text.length ? "…" : ""), ranges: kept };
  }

  /* One result as the page shows it, whichever engine found it. */
  function result(doc, isHit, asked) {
    var abstract = doc.abstract || "";
    var passage = snippet(abstract, asked ? ranges(abstract, isHit) : []);
    return {
      title: doc.title,
      titleRanges: asked ? ranges(doc.title, isHit) : [],
      url: doc.url,
      date: doc.date || null,
      kind: doc.kind,
      topics: doc.topics || [],
      upvotes: doc.upvotes === undefined ? null : doc.upvotes,
      abstract: passage.text,
      abstractRanges: passage.ranges
    };
  }

  return { ranges: ranges, snippet: snippet, result: result };
})();
