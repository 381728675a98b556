"""fmnist_lib: stress-testing CNNs on Fashion-MNIST, as a small importable library.

Flow, one way: data -> batches -> models -> train -> runs (cache) -> evaluate.
"""

__version__ = "0.1.0"
