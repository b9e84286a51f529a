//! Attacks: git (filled in by its wall's change).
