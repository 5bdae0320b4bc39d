"""The Grammar Bot's checking core, free of any Discord type: commands and views call these.

Engines (Harper, pyspellchecker, a LanguageTool server) find issues behind one interface;
:mod:`.checker` runs and merges them, :mod:`.corrections` applies suggestions, :mod:`.text`
and :mod:`.validation` decide what of a member's text is checked at all.
"""
