"""The Music Bot's rules, free of Discord: tracks, queue, effects, sources and storage."""
