"""The site's files: every link and output path, the pages rendered from the templates, charts,
and the data exports (papers.json, papers.csv, papers.bib, feed, sitemap)."""
