"""One module per publisher, each with the same surface.

Every module has ``SOURCE`` (its id), ``PATTERNS`` (globs of the files it reads, relative
to a raw-data root laid out like ``../shared/data/real``) and ``read(path) ->
(observations, ReadReport)``.
"""
