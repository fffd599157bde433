//! `sqlx::migrate!` embeds the migrations at compile time; this makes a new or
//! changed migration file rebuild the crate (sqlx's documented build script).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
