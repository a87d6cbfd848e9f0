//! The JSON a webhook receives, in the shape its service reads.

use crate::notify::Notice;
use serde_json::{Value, json};

/// The shape of a notification's body (`--notify-format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NotifyFormat {
    /// Slack's incoming webhooks (`text`), with the structured fields beside it.
    #[default]
    Slack,
    /// Discord's webhooks (`content`, and the fields as an embed).
    Discord,
    /// The structured fields and the text, under a versioned schema name, for programs.
    Json,
}

impl NotifyFormat {
    /// The body of `notice` in this format.
    pub fn body(self, notice: &Notice) -> Value {
        let text = format!("gpt-trader {}: {}", notice.session, notice.text);
        let mut fields = match serde_json::to_value(notice) {
            Ok(Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        };
        match self {
            NotifyFormat::Slack => {
                fields.insert("text".into(), text.into());
                Value::Object(fields)
            }
            NotifyFormat::Json => {
                fields.insert("schema".into(), "gpt-trader.notice.v1".into());
                fields.insert("text".into(), text.into());
                Value::Object(fields)
            }
            NotifyFormat::Discord => {
                let embed: Vec<Value> = fields
                    .into_iter()
                    .map(|(name, value)| {
                        let value = match value {
                            Value::String(text) => text,
                            other => other.to_string(),
                        };
                        json!({"name": name, "value": value, "inline": true})
                    })
                    .collect();
                json!({"content": text, "username": "gpt-trader", "embeds": [{"fields": embed}]})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{NoticeKind, NoticeTime};

    fn rejection() -> Notice {
        let mut notice = Notice::new(NoticeKind::Rejection, NoticeTime::Now, "AAPL buy 5 rejected")
            .symbol("AAPL")
            .side(gt_model::Side::Buy)
            .qty(5.0)
            .reason("insufficient funds");
        notice.session = "live1".into();
        notice
    }

    #[test]
    fn slack_gets_its_text_and_the_fields_beside_it() {
        let body = NotifyFormat::Slack.body(&rejection());
        assert_eq!(body["text"], "gpt-trader live1: AAPL buy 5 rejected");
        assert_eq!(body["event"], "rejection");
        assert_eq!(body["session"], "live1");
        assert_eq!(body["qty"], 5.0);
        assert_eq!(body["reason"], "insufficient funds");
        assert!(body.get("price").is_none(), "{body}");
    }

    #[test]
    fn discord_gets_content_and_an_embed_of_the_fields() {
        let body = NotifyFormat::Discord.body(&rejection());
        assert_eq!(body["content"], "gpt-trader live1: AAPL buy 5 rejected");
        let fields = body["embeds"][0]["fields"].as_array().unwrap();
        let field = |name: &str| fields.iter().find(|f| f["name"] == name).map(|f| f["value"].clone());
        assert_eq!(field("symbol"), Some("AAPL".into()));
        assert_eq!(field("qty"), Some("5.0".into()));
        assert_eq!(field("price"), None);
        assert!(body.get("text").is_none(), "{body}");
    }

    #[test]
    fn json_names_its_schema() {
        let body = NotifyFormat::Json.body(&rejection());
        assert_eq!(body["schema"], "gpt-trader.notice.v1");
        assert_eq!(body["event"], "rejection");
        assert_eq!(body["text"], "gpt-trader live1: AAPL buy 5 rejected");
    }
}
