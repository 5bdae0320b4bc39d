"""The shared AI service: chat completions from any OpenAI-compatible server, within daily budgets.

:mod:`.service` holds :class:`AIService` (it needs the ``ai`` extra, the ``openai`` package);
:mod:`.budget` counts what members and servers spend; :mod:`.errors` has the failures a bot
answers in plain words. The admins' ``/ai`` commands sit at the Discord edge, in
:mod:`botfleet.core.extensions.ai`, so this package stays free of any Discord type. Importing
the package registers the usage table's data-deletion hook and nothing needing ``openai``.
"""

from botfleet.services.ai import privacy as privacy
