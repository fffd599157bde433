//! `LOG_FORMAT=json`: one JSON object per line,
//! `{"timestamp","level","target","message","fields":{…}}`, the shape log
//! collectors index without parsing rules. The redacting writer sees the finished
//! line, so secrets are scrubbed here exactly as in text logs.

use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter for JSON lines.
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let line = render(event, chrono::Utc::now());
        writeln!(writer, "{line}")
    }
}

/// One event as a JSON object.
fn render(event: &Event<'_>, at: chrono::DateTime<chrono::Utc>) -> Value {
    let mut fields = Fields::default();
    event.record(&mut fields);
    let meta = event.metadata();
    // Records bridged from the `log` crate (teloxide, sqlx) carry their real target
    // in a field.
    let target = fields
        .other
        .remove("log.target")
        .and_then(|t| t.as_str().map(str::to_owned))
        .unwrap_or_else(|| meta.target().to_owned());
    fields.other.retain(|k, _| !k.starts_with("log."));
    serde_json::json!({
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "level": meta.level().as_str(),
        "target": target,
        "message": fields.message.unwrap_or_default(),
        "fields": Value::Object(fields.other),
    })
}

/// Collects an event's message and its other fields with their JSON types.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    other: Map<String, Value>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.other.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    #[test]
    fn each_event_is_one_json_object_with_message_and_typed_fields() {
        let out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                chats = 3_u64,
                paid = false,
                bot = "milestone_bot",
                "starting"
            );
            tracing::warn!(error = %"a \"quoted\"\nline", "could not send");
        });

        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first = &lines[0];
        assert_eq!(first["level"], "INFO");
        assert_eq!(first["message"], "starting");
        assert_eq!(first["fields"]["chats"], 3);
        assert_eq!(first["fields"]["paid"], false);
        assert_eq!(first["fields"]["bot"], "milestone_bot");
        assert!(first["target"].as_str().unwrap().contains("json"));
        assert!(chrono::DateTime::parse_from_rfc3339(first["timestamp"].as_str().unwrap()).is_ok());
        assert_eq!(lines[1]["fields"]["error"], "a \"quoted\"\nline");
    }
}
