/* What both search engines' answers need from the text of a paper: the character ranges of the
   words a query matched, and the passage of an abstract around the first of them. Loaded by the
   Lunr worker (importScripts) and, for Pagefind, by the page itself. Plain data only: the page
   builds elements with textContent, so paper text can never become markup. */
"use strict";

var SitegenText = (function () {
  var SNIPPET_CHARS = 260;
  var CORE = /\w(?:.*\w)?/;  /* a word without the punctuation around it */

  /* The lowercase word in a token ("(LoRA)," → "lora"), or null when it holds none. */
  function core(token) {
    var m = CORE.exec(token);
    return m ? m[0].toLowerCase() : null;
  }

  /* The words of a text as Lunr's tokenizer cuts them (between spaces and hyphens). */
  function words(text) {
    return text.split(/[\s\-]+/).map(core).filter(function (w) { return w !== null; });
  }

  /* [start, end) of every word of `text` for which isHit(lowercase word) is true. */
  function ranges(text, isHit) {
    var out = [];
    var re = /[^\s\-]+/g;
    var m;
    while ((m = re.exec(text)) !== null) {
      var found = CORE.exec(m[0]);
      if (found && isHit(found[0].toLowerCase())) {
        out.push([m.index + found.index, m.index + found.index + found[0].length]);
      }
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

  return { core: core, words: words, ranges: ranges, snippet: snippet, result: result };
})();
