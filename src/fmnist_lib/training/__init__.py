"""What a run computes: its config, the models, the one forward pass, the training loop and its evaluation."""
