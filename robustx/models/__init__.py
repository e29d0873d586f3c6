"""Victims (models under attack) and the embedded offline default model.

Heavy imports (torch, transformers) live inside the functions that need them.
"""
