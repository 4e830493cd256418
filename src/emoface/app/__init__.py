"""Apps thin over the pipeline: the web page (ui)."""
