"""Rendering: the minutes view-model, the minutes writers and the streaming log writers."""
