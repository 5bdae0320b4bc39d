"""The stand-in's world split by Discord resource: each module, one resource's state and routes.

Each resource's state extends the one before it (world → guilds → voice states → messages →
reactions → polls → members → commands → interactions), so a resource can use the ones it
builds on; ``state.SandboxState`` is the last of them. Each resource's route class extends
``routing.RouteHelpers``; ``rest.RestApi`` combines them and holds the route table.
"""
