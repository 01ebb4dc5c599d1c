"""What crosses an edge: the server's JSON (models, protocol), text made inert for a terminal, the errors people read, token masking, positions in TOML."""
