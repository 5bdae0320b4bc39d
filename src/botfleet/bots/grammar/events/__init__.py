"""What the Grammar Bot does on its own: reading auto-check channels."""
