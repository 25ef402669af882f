"""pytest plugin (entry point `pytest11`): off unless `--portability` is given. Placeholder module: see issue 5."""
