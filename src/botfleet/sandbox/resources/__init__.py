"""The stand-in's world split by Discord resource, each one module.

Each resource's state extends the one before it (world → guilds → voice states → messages →
reactions → polls → members → commands → interactions), so a resource can use the ones it
builds on; ``SandboxState`` is the last of them.
"""
