"""The command line: the parser and one module per subcommand, and the headless faces (tail, count) with their process setup."""
