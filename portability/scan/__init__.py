"""`portability scan`: a static check of Python code against the catalog, importing no framework.

Data flows one way: ``names`` (ast: imports, scopes, call sites) -> ``signatures`` (how arguments
bind) -> ``resolve`` (qualified names -> catalog entries) -> ``assess`` (values and target statuses,
through ``values``) -> ``rules`` (findings) -> ``formats`` / ``fix`` (outputs, the libcst codemod);
``engine`` runs the files through it and ``command`` is the CLI.
"""
