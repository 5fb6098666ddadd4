"""Page objects: site and platform specific extraction, no requests, no database."""
