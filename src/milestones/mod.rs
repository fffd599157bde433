//! Milestone rules, detection and templates.
