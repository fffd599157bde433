//! milestone-bot: placeholder layout, filled in as modules land.
pub mod milestones;
pub mod sketch;
