"""The search index: a Lunr index built in Python for lunr.js, or for large surveys a Pagefind
index made by Pagefind's binary."""
