"""The top layer: the run graph (graph), executing a notebook (notebooks), the run's
manifest and index (collect), ``divides run`` (runner) and the ``divides`` command (cli)."""
