"""The Textual dashboard (faces layer): renders controller state, sends intents."""
