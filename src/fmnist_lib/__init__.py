"""fmnist_lib: stress-testing CNNs on Fashion-MNIST, as a small importable library.

Flow, one way (each package imports only from those before it; `errors` from anywhere):

    data      the IDX files found, verified and parsed; batches; corruptions
    training  config, models, the forward pass, the training loop, evaluation
    runs      the results cache (one folder per run), seeds, the sweep and its executors
    analysis  failures, persistence, labels, calibration, robustness, statistics, explanations
    report    the section registry, each page's opening, tables, text and figures, the site
    cli       the `fmnist` command
"""

__version__ = "0.1.0"
