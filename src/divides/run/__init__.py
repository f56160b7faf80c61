"""The top layer: the run graph, executing the notebooks, and the ``divides`` command."""
