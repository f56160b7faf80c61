"""What a reader gets: the codebook and the report of a run (HTML and PDF).

Importing the package loads nothing heavy; :mod:`divides.report.site` holds the report
builder (Sphinx, nbformat)."""
