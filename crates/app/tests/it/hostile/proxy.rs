//! Attacks: proxy (filled in by its wall's change).
