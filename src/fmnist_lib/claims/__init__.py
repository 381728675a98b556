"""Claims: every verdict the report states, as a function of the evidence that carries it.

`verdicts` defines a claim and the fixed vocabulary; `rules` holds the rules (reproduced, a difference,
matched budgets, a mean carried by few conditions); the other modules make the report's and the
write-up's claims from runs and analysis results.
"""
