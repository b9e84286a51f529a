//! Attacks: tools (filled in by its wall's change).
