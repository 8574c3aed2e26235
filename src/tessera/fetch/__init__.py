"""Fetching remote files for imports: the SSRF address guard and the pinned HTTP fetch."""
