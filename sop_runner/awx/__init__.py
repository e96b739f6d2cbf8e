"""sop-pusatdata for AWX: the collection build, and AWX's configuration from the catalog."""
