//! What model calls cost: a per-model price table, the tokens of an answer read as it streams,
//! and the estimate a call reserves against the session's budget before it starts.
//!
//! Prices are Anthropic's and OpenAI's list prices in US dollars per million tokens. Cache writes
//! cost 1.25 times the input price (5-minute cache), cache reads 0.1 times. A model the tables do
//! not know is priced as the most expensive one ([`FALLBACK_PRICE`]), so a budget is never
//! under-counted. OpenAI models are matched by their exact name (a date suffix aside), because
//! their names extend each other (`gpt-5`, `gpt-5.5`): a prefix would price a new model as an old one.

use serde_json::Value;

/// A model's price in US dollars per million tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// The price of a model the table does not know: the dearest model's (Claude Opus 4.1).
pub const FALLBACK_PRICE: Price = Price {
    input: 15.0,
    output: 75.0,
};

/// Model name fragments and their prices, tried in order: the first fragment the model's name
/// contains wins, so more specific names come first. Dated names (`claude-sonnet-4-5-20250929`)
/// and gateway names (`us.anthropic.claude-sonnet-4-…`) match their family.
const PRICES: &[(&str, Price)] = &[
    ("claude-opus-4-5", price(5.0, 25.0)),
    ("claude-opus-4", price(15.0, 75.0)),
    ("claude-3-opus", price(15.0, 75.0)),
    ("claude-sonnet-4", price(3.0, 15.0)),
    ("claude-3-7-sonnet", price(3.0, 15.0)),
    ("claude-3-5-sonnet", price(3.0, 15.0)),
    ("claude-haiku-4-5", price(1.0, 5.0)),
    ("claude-3-5-haiku", price(0.8, 4.0)),
    ("claude-3-haiku", price(0.25, 1.25)),
];

/// OpenAI models (Codex sessions), by exact name.
const OPENAI_PRICES: &[(&str, Price)] = &[
    ("gpt-5", price(1.25, 10.0)),
    ("gpt-5-codex", price(1.25, 10.0)),
    ("gpt-5-mini", price(0.25, 2.0)),
    ("gpt-5-nano", price(0.05, 0.4)),
    ("gpt-4.1", price(2.0, 8.0)),
    ("gpt-4.1-mini", price(0.4, 1.6)),
    ("o3", price(2.0, 8.0)),
    ("o4-mini", price(1.1, 4.4)),
];

const fn price(input: f64, output: f64) -> Price {
    Price { input, output }
}

/// How much dearer than plain input a cache write is, and a cache read.
const CACHE_WRITE_FACTOR: f64 = 1.25;
const CACHE_READ_FACTOR: f64 = 0.1;
/// Output tokens reserved for a call whose body names no `max_tokens`.
const DEFAULT_RESERVED_OUTPUT: u64 = 32_000;

/// The price of `model`, and whether the table knew it.
pub fn price_of(model: &str) -> (Price, bool) {
    let undated = strip_date(model);
    OPENAI_PRICES
        .iter()
        .find(|(name, _)| *name == undated)
        .or_else(|| PRICES.iter().find(|(fragment, _)| model.contains(fragment)))
        .map_or((FALLBACK_PRICE, false), |(_, price)| (*price, true))
}

/// `gpt-5-2025-08-07` as `gpt-5`.
fn strip_date(model: &str) -> &str {
    let bytes = model.as_bytes();
    let dated = bytes.len() > 11
        && bytes[bytes.len() - 11] == b'-'
        && bytes[bytes.len() - 10..]
            .iter()
            .enumerate()
            .all(|(index, byte)| match index {
                4 | 7 => *byte == b'-',
                _ => byte.is_ascii_digit(),
            });
    if dated {
        &model[..model.len() - 11]
    } else {
        model
    }
}

/// The tokens of one answer, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub cache_write: u64,
    pub cache_read: u64,
    pub output: u64,
}

impl Tokens {
    /// Every input token, cached or not: what the session sent.
    pub fn all_input(&self) -> u64 {
        self.input + self.cache_write + self.cache_read
    }

    /// The price of these tokens at `price`, in US dollars.
    pub fn cost(&self, price: Price) -> f64 {
        let million = 1_000_000.0;
        (self.input as f64 * price.input
            + self.cache_write as f64 * price.input * CACHE_WRITE_FACTOR
            + self.cache_read as f64 * price.input * CACHE_READ_FACTOR
            + self.output as f64 * price.output)
            / million
    }

    /// Takes the counts a `usage` object carries; the API's counts are cumulative, so a later
    /// event's value replaces an earlier one and an absent field keeps what was known.
    fn update(&mut self, usage: &Value) {
        let set = |field: &mut u64, name: &str| {
            if let Some(count) = usage[name].as_u64() {
                *field = count;
            }
        };
        set(&mut self.input, "input_tokens");
        set(&mut self.cache_write, "cache_creation_input_tokens");
        set(&mut self.cache_read, "cache_read_input_tokens");
        set(&mut self.output, "output_tokens");
    }
}

/// The most bytes of a non-streamed answer kept to read its `usage`.
const MAX_ACCOUNTED_BYTES: usize = 8 * 1024 * 1024;
/// The longest SSE line kept while looking for usage; a longer one (a huge text delta) is skipped.
const MAX_EVENT_LINE: usize = 1024 * 1024;

/// Reads the model and `usage` out of an answer as it passes: the SSE events `message_start`
/// (model, input) and `message_delta` (cumulative output) of an Anthropic stream, or the final
/// `response.completed` (`response.incomplete`, `response.failed`) of an OpenAI Responses stream;
/// or the `model` and `usage` of a JSON message or response.
pub struct Meter {
    streaming: bool,
    pending: Vec<u8>,
    /// Whether the line being read is too long to be kept.
    skipping: bool,
    model: Option<String>,
    tokens: Tokens,
}

impl Meter {
    pub fn new(streaming: bool) -> Self {
        Self {
            streaming,
            pending: Vec::new(),
            skipping: false,
            model: None,
            tokens: Tokens::default(),
        }
    }

    /// Reads one chunk of the answer, as it arrived.
    pub fn feed(&mut self, chunk: &[u8]) {
        if !self.streaming {
            if self.pending.len() + chunk.len() <= MAX_ACCOUNTED_BYTES {
                self.pending.extend_from_slice(chunk);
            }
            return;
        }
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|byte| *byte == b'\n') {
            if !self.skipping {
                self.pending.extend_from_slice(&rest[..end]);
                let line = std::mem::take(&mut self.pending);
                self.line(&line);
            }
            self.pending.clear();
            self.skipping = false;
            rest = &rest[end + 1..];
        }
        if !self.skipping {
            self.pending.extend_from_slice(rest);
            if self.pending.len() > MAX_EVENT_LINE {
                self.pending.clear();
                self.skipping = true;
            }
        }
    }

    fn line(&mut self, line: &[u8]) {
        let Some(data) = line.strip_prefix(b"data:") else {
            return;
        };
        let Ok(event) = serde_json::from_slice::<Value>(data.trim_ascii()) else {
            return;
        };
        match event["type"].as_str() {
            Some("message_start") => {
                self.take_model(&event["message"]["model"]);
                self.tokens.update(&event["message"]["usage"]);
            }
            Some("message_delta") => self.tokens.update(&event["usage"]),
            Some("response.completed" | "response.incomplete" | "response.failed") => {
                self.take_response(&event["response"]);
            }
            _ => {}
        }
    }

    /// An OpenAI response's model and usage. Its `input_tokens` include the cached ones.
    fn take_response(&mut self, response: &Value) {
        self.take_model(&response["model"]);
        let usage = &response["usage"];
        if let (Some(input), Some(output)) = (
            usage["input_tokens"].as_u64(),
            usage["output_tokens"].as_u64(),
        ) {
            let cached = usage["input_tokens_details"]["cached_tokens"]
                .as_u64()
                .unwrap_or(0)
                .min(input);
            self.tokens = Tokens {
                input: input - cached,
                cache_write: 0,
                cache_read: cached,
                output,
            };
        }
    }

    fn take_model(&mut self, model: &Value) {
        if let Some(model) = model.as_str() {
            self.model = Some(model.to_owned());
        }
    }

    /// The model that answered (when the answer named it) and its tokens so far.
    pub fn finish(mut self) -> (Option<String>, Tokens) {
        if !self.streaming
            && let Ok(body) = serde_json::from_slice::<Value>(&self.pending)
        {
            if body["type"] == "message" {
                self.take_model(&body["model"]);
                self.tokens.update(&body["usage"]);
            } else if body["object"] == "response" {
                self.take_response(&body);
            }
        }
        (self.model, self.tokens)
    }
}

/// What a call may cost at most, reserved against the budget while it runs: its body's bytes as
/// input tokens written to the cache (a token is at least a few bytes), and all of its
/// `max_tokens` (Anthropic) or `max_output_tokens` (OpenAI) as output, at its model's price.
pub fn reservation(body: &Value, body_bytes: usize) -> f64 {
    let (price, _) = price_of(body["model"].as_str().unwrap_or_default());
    let output = body["max_tokens"]
        .as_u64()
        .or_else(|| body["max_output_tokens"].as_u64())
        .unwrap_or(DEFAULT_RESERVED_OUTPUT);
    Tokens {
        cache_write: body_bytes as u64 / 3,
        output,
        ..Tokens::default()
    }
    .cost(price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn models_are_priced_by_family_with_the_dearest_price_for_unknown_ones() {
        assert_eq!(
            price_of("claude-sonnet-4-5-20250929"),
            (price(3.0, 15.0), true)
        );
        assert_eq!(
            price_of("claude-opus-4-5-20251101"),
            (price(5.0, 25.0), true)
        );
        assert_eq!(
            price_of("claude-opus-4-1-20250805"),
            (price(15.0, 75.0), true)
        );
        assert_eq!(price_of("claude-haiku-4-5"), (price(1.0, 5.0), true));
        assert_eq!(
            price_of("claude-3-5-haiku-20241022"),
            (price(0.8, 4.0), true)
        );
        assert_eq!(
            price_of("us.anthropic.claude-sonnet-4-20250514-v1:0"),
            (price(3.0, 15.0), true)
        );
        assert_eq!(price_of("some-new-model"), (FALLBACK_PRICE, false));
    }

    #[test]
    fn tokens_are_priced_by_kind() {
        let tokens = Tokens {
            input: 1_000_000,
            cache_write: 1_000_000,
            cache_read: 1_000_000,
            output: 1_000_000,
        };
        let cost = tokens.cost(price(3.0, 15.0));
        assert!((cost - (3.0 + 3.75 + 0.3 + 15.0)).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn a_stream_is_metered_from_message_start_and_the_last_message_delta() {
        let mut meter = Meter::new(true);
        meter.feed(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":3,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usa");
        meter.feed(b"ge\":{\"output_tokens\":7}}\n\n");
        let (model, tokens) = meter.finish();
        assert_eq!(model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(
            tokens,
            Tokens {
                input: 12,
                cache_write: 0,
                cache_read: 3,
                output: 7
            }
        );
        assert_eq!(tokens.all_input(), 15);
    }

    #[test]
    fn a_huge_event_line_is_skipped_without_losing_the_events_after_it() {
        let mut meter = Meter::new(true);
        meter.feed(b"data: {\"type\":\"content_block_delta\",\"text\":\"");
        for _ in 0..3 {
            meter.feed(&vec![b'x'; MAX_EVENT_LINE]);
        }
        meter.feed(b"\"}\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":5}}\n");
        assert_eq!(meter.finish().1.output, 5);
    }

    #[test]
    fn a_json_message_is_metered_from_its_model_and_usage() {
        let mut meter = Meter::new(false);
        meter.feed(br#"{"type":"message","model":"claude-haiku-4-5","usage":{"input_tokens":4,"#);
        meter.feed(br#""cache_creation_input_tokens":2,"output_tokens":9}}"#);
        let (model, tokens) = meter.finish();
        assert_eq!(model.as_deref(), Some("claude-haiku-4-5"));
        assert_eq!((tokens.input, tokens.cache_write, tokens.output), (4, 2, 9));
    }

    #[test]
    fn a_call_reserves_its_body_and_all_of_its_output_at_its_models_price() {
        let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 1000});
        let reserved = reservation(&body, 3000);
        // 1000 cache-written input tokens at 3.75 $/M and 1000 output tokens at 15 $/M.
        assert!((reserved - (0.00375 + 0.015)).abs() < 1e-12, "{reserved}");
        let unknown = reservation(&json!({}), 0);
        assert!((unknown - 32_000.0 * 75.0 / 1e6).abs() < 1e-9, "{unknown}");
    }

    #[test]
    fn openai_models_are_priced_by_exact_name_and_new_ones_as_the_dearest() {
        assert_eq!(price_of("gpt-5"), (price(1.25, 10.0), true));
        assert_eq!(price_of("gpt-5-2025-08-07"), (price(1.25, 10.0), true));
        assert_eq!(price_of("gpt-5-mini"), (price(0.25, 2.0), true));
        assert_eq!(price_of("gpt-5.5"), (FALLBACK_PRICE, false));
        assert_eq!(price_of("gpt-5-mini-turbo"), (FALLBACK_PRICE, false));
    }

    #[test]
    fn a_responses_stream_is_metered_from_its_completed_event() {
        let mut meter = Meter::new(true);
        let completed = json!({ "type": "response.completed", "response": {
            "id": "r", "model": "gpt-5",
            "usage": { "input_tokens": 1000, "input_tokens_details": { "cached_tokens": 400 },
                       "output_tokens": 50, "total_tokens": 1050 } } });
        for chunk in [
            "event: response.created\ndata: {\"type\":\"response.created\"}\n\n".to_owned(),
            format!("event: response.completed\ndata: {completed}\n\n"),
        ] {
            meter.feed(chunk.as_bytes());
        }
        let (model, tokens) = meter.finish();
        assert_eq!(model.as_deref(), Some("gpt-5"));
        assert_eq!(
            tokens,
            Tokens {
                input: 600,
                cache_write: 0,
                cache_read: 400,
                output: 50
            }
        );
        assert_eq!(tokens.all_input(), 1000);
    }
}
