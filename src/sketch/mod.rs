//! HyperLogLog sketches and the sketch store.
