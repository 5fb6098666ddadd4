"""The Datasette side: the plugin, its metadata, facets, chart and templates."""
