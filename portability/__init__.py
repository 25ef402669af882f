"""Cross-framework deep-learning operation portability checker.

Importing the package imports no deep-learning framework: every framework loads lazily,
inside its own spawned worker process (see ``portability.runner``).
"""

__version__ = "0.1.0"
