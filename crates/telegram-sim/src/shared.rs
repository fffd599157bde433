//! The state the server and every [`TelegramSim`](crate::TelegramSim) handle share:
//! the world behind one lock, the bell rung on every delivery, and the address. It
//! sits below both, so neither the handle nor the server imports the other for it.

use std::{
    net::SocketAddr,
    sync::{Mutex, MutexGuard},
};

use tokio::sync::Notify;

use crate::state::State;

/// The state shared by the server and every handle.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes `wait_for` whenever a message is delivered, edited or answered.
    pub changed: Notify,
    /// Where the server listens.
    pub addr: SocketAddr,
}

impl Shared {
    pub fn new(state: State, addr: SocketAddr) -> Self {
        Shared {
            state: Mutex::new(state),
            changed: Notify::new(),
            addr,
        }
    }

    /// The world; a panic elsewhere must not hide it from the test's asserts.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
