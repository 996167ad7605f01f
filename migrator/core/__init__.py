"""The migration itself: the engine, one post's pipeline, and what it needs."""
