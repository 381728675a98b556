"""What a page glues, computed from its analyses: one module per page whose numbers need more than a call."""
