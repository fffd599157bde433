//! Telling people apart without knowing who they are.
//!
//! Telegram user ids (a private chat's id is its user's), names and usernames never
//! reach the logs, and the ids of people who are not admins never reach the audit.
//! Where a log line or the audit must tell people apart it shows a [`Pseudonym`]:
//! `u-` and the first six bytes of HMAC-SHA256(install key, id) in hex. The key is
//! 32 random bytes made once per install and kept in the database
//! (`install_secrets`), so a person keeps one pseudonym across restarts and
//! instances, and a pseudonym means nothing to anyone without the database: the
//! ids are too few (a few billion) for an unkeyed hash to hide them.

use crate::vocab::{ChatId, UserId};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;
use std::sync::{Arc, RwLock};

/// The per-install key behind pseudonyms.
#[derive(Clone)]
pub struct PseudonymKey(Arc<[u8; PseudonymKey::LEN]>);

impl PseudonymKey {
    /// Bytes of key: SHA-256's output size, far beyond any search.
    pub const LEN: usize = 32;

    /// A fresh random key, for an install that has none yet.
    pub fn generate() -> Self {
        Self(Arc::new(rand::random()))
    }

    /// The key as stored; `None` unless exactly [`Self::LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(Self(Arc::new(bytes.try_into().ok()?)))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The pseudonym of a Telegram user (or of a private chat, the same number).
    pub fn user(&self, id: UserId) -> Pseudonym {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(b"telegram-user:");
        mac.update(&id.get().to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(2 + 12);
        out.push_str("u-");
        for byte in &digest[..6] {
            out.push_str(&format!("{byte:02x}"));
        }
        Pseudonym(out)
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(<redacted>)")
    }
}

/// A person as logs and the audit show them: `u-3f9a1c2b7e4d`. Six bytes stay
/// short enough to read and keep collisions rare: among 2.4 million people, the
/// chance that any two share one is about 1%.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pseudonym(String);

impl Pseudonym {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// The key log lines use; set once the database is open ([`use_for_logs`]). One
/// process runs one install, so one key serves all its log lines.
static LOG_KEY: RwLock<Option<PseudonymKey>> = RwLock::new(None);

/// Makes [`User`] and [`Chat`] in log lines use this install's key.
pub fn use_for_logs(key: &PseudonymKey) {
    *LOG_KEY.write().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
}

/// A Telegram user in a log line: `user = %privacy::User(id)` prints the
/// pseudonym, or `u-?` before the key is known; never the id.
#[derive(Clone, Copy)]
pub struct User(pub UserId);

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = LOG_KEY.read().unwrap_or_else(|e| e.into_inner());
        match key.as_ref() {
            Some(key) => fmt::Display::fmt(&key.user(self.0), f),
            None => f.pad("u-?"),
        }
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A chat in a log line. Groups, supergroups and channels (negative ids) are shown
/// as they are, so an operator can find them; a private chat (a positive id, its
/// user's) is a person, shown as [`User`].
#[derive(Clone, Copy)]
pub struct Chat(pub ChatId);

impl fmt::Display for Chat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.get() < 0 {
            fmt::Display::fmt(&self.0, f)
        } else {
            fmt::Display::fmt(&User(self.0.private_user()), f)
        }
    }
}

impl fmt::Debug for Chat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudonym_is_stable_per_key_and_differs_across_people_and_installs() {
        let key = PseudonymKey::from_bytes(&[7; 32]).unwrap();
        let same = PseudonymKey::from_bytes(key.as_bytes()).unwrap();
        let other_install = PseudonymKey::generate();
        let p = key.user(UserId(100_000_001));
        assert_eq!(p, same.user(UserId(100_000_001)), "stable across restarts");
        assert_ne!(p, key.user(UserId(100_000_002)), "people are told apart");
        assert_ne!(
            p,
            other_install.user(UserId(100_000_001)),
            "keyed per install"
        );
        assert!(
            p.as_str().starts_with("u-") && p.as_str().len() == 14,
            "{p}"
        );
        assert!(!p.as_str().contains("100000001"));
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused() {
        assert!(PseudonymKey::from_bytes(&[1; 31]).is_none());
        assert!(PseudonymKey::from_bytes(&[1; 33]).is_none());
    }

    #[test]
    fn log_fields_never_print_a_persons_id() {
        use_for_logs(&PseudonymKey::from_bytes(&[9; 32]).unwrap());
        for shown in [
            User(UserId(123_456_789)).to_string(),
            Chat(ChatId(123_456_789)).to_string(),
            format!("{:?}", User(UserId(123_456_789))),
        ] {
            assert!(!shown.contains("123456789"), "{shown}");
            assert!(shown.starts_with("u-"), "{shown}");
        }
        assert_eq!(
            Chat(ChatId(-1_001_234_567_890)).to_string(),
            "-1001234567890"
        );
    }
}
