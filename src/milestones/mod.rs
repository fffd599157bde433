//! Milestone rules, detection and templates.
//!
//! Pure logic only, no I/O: [`number`] reads and prints counts, [`rules`] says
//! which counts are milestones, [`detector`] decides when one fires, [`template`]
//! renders the announcements, [`country`] compares a count with populations.

pub mod country;
pub mod detector;
pub mod number;
pub mod rules;
pub mod template;
