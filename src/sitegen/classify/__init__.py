"""Placing papers: the taxonomy and the editors' overrides read and checked, each paper scored
against every topic (rules and similarity), given its topics and kind with the reasons, and the
papers most like each one found."""
