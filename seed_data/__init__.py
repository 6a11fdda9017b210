"""Data package: the curated catalogue, thesaurus and vocabularies that ship with fundmatch."""
