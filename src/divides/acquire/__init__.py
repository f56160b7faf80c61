"""Raw files in: the download catalogue, ``divides fetch`` (pinned files and the
publishers' current endpoints) and what changed between two editions. The build never
imports this package."""
