//! The Bot API methods, dispatched by lower-cased name since Telegram
//! matches method names case-insensitively.

mod edit;
mod info;
mod send;
mod updates;
mod webhook;

use std::sync::Arc;

use serde_json::Value;

use crate::{error::ApiError, model::SentKind, params::Params, shared::Shared};

/// Why a call produced no success answer.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Answer with Telegram's error envelope.
    Api(ApiError),
    /// Close the connection without answering.
    Drop,
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

/// Every method the simulator answers, lower-cased.
const METHODS: &[&str] = &[
    "getme",
    "getupdates",
    "setwebhook",
    "deletewebhook",
    "getwebhookinfo",
    "setmycommands",
    "getmycommands",
    "deletemycommands",
    "sendmessage",
    "sendphoto",
    "sendanimation",
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
    "deletemessage",
    "pinchatmessage",
    "answercallbackquery",
    "getchat",
    "getchatmember",
    "getchatmembercount",
    "getchatadministrators",
];

/// Whether `method` (any case) is one the simulator knows.
pub(crate) fn is_known(method: &str) -> bool {
    METHODS.contains(&method.to_ascii_lowercase().as_str())
}

/// Runs one known method for the bot with `token`.
pub(crate) async fn call(
    sh: &Arc<Shared>,
    token: &str,
    method: &str,
    p: &Params,
) -> Result<Value, Failure> {
    let method = method.to_ascii_lowercase();
    if let Some(description) = sh.lock().refused.get(&method).cloned() {
        return Err(ApiError::bad_request(description).into());
    }
    match method.as_str() {
        "getme" => Ok(info::get_me(sh, token)),
        "getupdates" => updates::get_updates(sh, token, p).await,
        "setwebhook" => webhook::set_webhook(sh, token, p).map_err(Into::into),
        "deletewebhook" => webhook::delete_webhook(sh, token, p).map_err(Into::into),
        "getwebhookinfo" => webhook::webhook_info(sh, token).map_err(Into::into),
        "setmycommands" => info::set_my_commands(sh, token, p).map_err(Into::into),
        "getmycommands" => info::get_my_commands(sh, token, p).map_err(Into::into),
        "deletemycommands" => info::delete_my_commands(sh, token, p).map_err(Into::into),
        "sendmessage" => send::send(sh, token, SentKind::Text, p).await,
        "sendphoto" => send::send(sh, token, SentKind::Photo, p).await,
        "sendanimation" => send::send(sh, token, SentKind::Animation, p).await,
        "editmessagetext" => edit::edit(sh, token, edit::Edit::Text, p).map_err(Into::into),
        "editmessagecaption" => edit::edit(sh, token, edit::Edit::Caption, p).map_err(Into::into),
        "editmessagereplymarkup" => {
            edit::edit(sh, token, edit::Edit::Markup, p).map_err(Into::into)
        }
        "deletemessage" => edit::delete(sh, token, p).map_err(Into::into),
        "pinchatmessage" => edit::pin(sh, token, p).map_err(Into::into),
        "answercallbackquery" => info::answer_callback(sh, token, p).map_err(Into::into),
        "getchat" => info::get_chat(sh, p).map_err(Into::into),
        "getchatmember" => info::get_chat_member(sh, p).map_err(Into::into),
        "getchatmembercount" => info::member_count(sh, p).map_err(Into::into),
        "getchatadministrators" => info::administrators(sh, p).map_err(Into::into),
        _ => Err(ApiError::not_found().into()),
    }
}

/// The `chat_id` parameter, required by every chat method.
fn chat_param(p: &Params) -> Result<Value, ApiError> {
    p.get("chat_id")
        .cloned()
        .ok_or_else(|| ApiError::bad_request("chat_id is empty"))
}
