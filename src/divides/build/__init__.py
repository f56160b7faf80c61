"""The build: raw files -> observations -> country-year panel -> gaps, as one transaction."""
