"""How to say it: each channel translates between its platform and the engine's incoming
messages and whole replies, and splits and escapes them for its own limits."""
