"""Framework integrations, each an optional extra that imports its framework
only when imported itself (``import wireplan`` imports none of them):

- :mod:`wireplan.integrations.starlette`: ``pip install wireplan[starlette]``
- :mod:`wireplan.integrations.fastapi`: ``pip install wireplan[fastapi]``
- :mod:`wireplan.integrations.otel`: ``pip install wireplan[otel]``, OpenTelemetry spans
  from the lifecycle events
"""
