"""finsentry: streaming financial-news risk warnings.

This package holds what every part shares: the topic contracts (typed records), the
topic names, the settings object, the local Kafka harness and the CLI wiring.
"""

__version__ = "0.1.0"
