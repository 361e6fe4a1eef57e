"""Reading papers: listing files from disk, parsed into raw entries, the same paper from several
listings merged into one with a slug; and the survey's own Markdown pages."""
