/* Starts Pagefind while the search page is still loading, before search.js runs: Pagefind's
   worker, WebAssembly and metadata take most of a cold query's wait, so they are fetched from the
   moment the page's head is read. A query in the URL (?q=lora) also has its index chunks
   preloaded. search.js takes the started indexes from window.sitegenPagefind.
   A large survey has several indexes (pagefind/, pagefind-2/, …, newest papers first), each
   searched by its own copy of pagefind.js, a module per URL. */
(function () {
  "use strict";
  var bases = document.currentScript.dataset.pagefind.split(" ");
  var query = new URLSearchParams(window.location.search).get("q") || "";
  window.sitegenPagefind = Promise.all(bases.map(function (base) {
    return import(base + "pagefind.js").then(function (module) {
      return module.options({ basePath: base })
        .then(function () { return module.init(); })
        .then(function () {
          if (query.trim()) module.preload(query);
          return module;
        });
    });
  }));
})();
