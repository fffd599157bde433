//! What a post is made of: the announcement and its thank-you note ([`Part`]), and
//! the media an announcement can lead with ([`MediaKind`]).

use std::fmt;
use std::str::FromStr;

/// Which of the pair a message, a template or an edit is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Announcement,
    Thanks,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Announcement => "announcement",
            Part::Thanks => "thanks",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Photo or animation, as Telegram distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Photo,
    Animation,
}

/// A media kind that is neither photo nor animation, as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a media kind; use photo or animation")]
pub struct UnknownMediaKind(pub String);

impl MediaKind {
    /// The name stored in the database and shown to admins.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Animation => "animation",
        }
    }
}

impl FromStr for MediaKind {
    type Err = UnknownMediaKind;
    /// What an admin may type: `photo`, `animation` or `gif`, in any case.
    fn from_str(s: &str) -> Result<Self, UnknownMediaKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "photo" => Ok(MediaKind::Photo),
            "animation" | "gif" => Ok(MediaKind::Animation),
            other => Err(UnknownMediaKind(other.to_owned())),
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_media_kind_reads_back_from_its_stored_name_and_gif_is_an_animation() {
        for kind in [MediaKind::Photo, MediaKind::Animation] {
            assert_eq!(kind.as_str().parse::<MediaKind>(), Ok(kind));
        }
        assert_eq!(" GIF ".parse::<MediaKind>(), Ok(MediaKind::Animation));
        assert_eq!(
            "video".parse::<MediaKind>().unwrap_err().to_string(),
            "\"video\" is not a media kind; use photo or animation"
        );
    }
}
