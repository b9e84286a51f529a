//! Attacks: browser (filled in by its wall's change).
