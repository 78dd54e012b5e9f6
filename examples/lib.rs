//! Shared helpers for the runnable examples (none yet).
