"""Data package: the DOCX application templates that ship with fundmatch (read via importlib.resources)."""
