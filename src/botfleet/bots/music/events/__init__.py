"""What the Music Bot reacts to: members coming and going in voice, and its own start."""
