"""Renderers: the checker's Report -> terminal tables, the JSON contract, the self-contained HTML page.

Each renderer reads the same plain dict (``jsonio.to_dict``), so the HTML page and merge tools
work equally from a live run or from a JSON file written earlier.
"""
