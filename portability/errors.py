"""Errors that reach the user as one line and exit code 2 (never a traceback)."""


class UsageError(Exception):
    """Bad command-line usage or a bad catalog; the CLI prints it on one line and exits 2."""


class CatalogError(UsageError):
    """A catalog entry that cannot be used, located by file, op and key."""

    def __init__(self, path, op, key, message):
        self.path, self.op, self.key, self.detail = str(path), op, key, message
        where = f"{self.path}"
        if op:
            where += f": op '{op}'"
        if key:
            where += f": key '{key}'"
        super().__init__(f"{where}: {message}")
