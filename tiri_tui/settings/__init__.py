"""What a person sets: config.toml, profiles, environment and flags; keys, commands and link templates of their own."""
