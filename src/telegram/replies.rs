//! User-facing text of the public commands, in one place.

pub const HELP: &str = "<b>Milestone bot</b>\n\n\
I post announcements when this service passes a milestone (like 200,000,000 monthly \
active users), with a thank-you note, to every channel and group I am in.\n\n\
<b>Commands</b>\n\
/help: this message\n\
/subscribe: receive the posts here (in a group: group admins only)\n\
/unsubscribe: stop receiving them\n\n\
Add me to a channel or group to have the posts there.";

pub const SUBSCRIBED: &str = "Subscribed: milestone announcements will be posted here.";
pub const ALREADY_SUBSCRIBED: &str = "This chat is already subscribed.";
pub const UNSUBSCRIBED: &str = "Unsubscribed: nothing more will be posted here.";
pub const NOT_SUBSCRIBED: &str = "This chat is not subscribed.";
pub const GROUP_ADMINS_ONLY: &str = "Sorry, only this group's admins can change its subscription.";
