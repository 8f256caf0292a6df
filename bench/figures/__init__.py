"""One module per figure of ``bench/results.md``; each returns plain data for the report."""
