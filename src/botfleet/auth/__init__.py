"""Authentication and authorisation: permission levels now, Discord OAuth2 for premium later."""
