//! The webhook (`AGENTYARD_WEBHOOK_URL`): a subscriber of the engine's event stream that POSTs a
//! JSON notification when a turn ends, fails or waits for a permission answer, for setups where
//! no browser is watching.
//!
//! It never holds up a turn: the engine's broadcast does not wait for subscribers, this one only
//! reads two rows before it queues a notification, and delivery (with its timeouts and retries)
//! happens on a task of its own. When it falls behind the broadcast it logs what it missed and
//! goes on; when the receiver stays down, the queue drops its oldest notifications.
//! A notification carries names, ids and the engine's error text, never a tool's input, a
//! message's content or a credential; the URL itself is logged only as its origin.

use chrono::{SecondsFormat, Utc};
use domain::{SessionId, Webhook};
use engine::{Engine, EngineEvent};
use reqwest::StatusCode;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Notifications waiting for delivery; beyond this the oldest are dropped.
const MAX_PENDING: usize = 1000;

/// `chat:error` codes that report something during or after a turn and end nothing (the UI's
/// chat treats them the same way); they are not a failed turn.
const REPORT_CODES: [&str; 2] = ["model_upstream", "git_settings_restored"];

/// The JSON body of a POST (docs/api.md "Webhook").
#[derive(Clone, Debug, Serialize)]
struct Notification {
    /// `turn_done`, `turn_failed` or `permission_requested`; also the `X-Agentyard-Event` header.
    event: &'static str,
    session_id: String,
    /// Null when the session was deleted before the notification was built, as are the names.
    project_id: Option<String>,
    session_title: Option<String>,
    project_name: Option<String>,
    /// The error of a failed turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    /// The tool waiting for the user's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interrupted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    at: String,
    /// The session's page in the web UI.
    url: String,
}

/// What an engine event means for the webhook, before the session's names are looked up.
struct Occurrence {
    event: &'static str,
    session: SessionId,
    message: Option<String>,
    code: Option<String>,
    tool: Option<String>,
    interrupted: Option<bool>,
    cost_usd: Option<f64>,
}

impl Occurrence {
    fn of(event: &EngineEvent) -> Option<Occurrence> {
        let blank = |event, session: &SessionId| Occurrence {
            event,
            session: *session,
            message: None,
            code: None,
            tool: None,
            interrupted: None,
            cost_usd: None,
        };
        match event {
            EngineEvent::Done {
                session,
                cost_usd,
                interrupted,
                ..
            } => Some(Occurrence {
                interrupted: Some(*interrupted),
                cost_usd: *cost_usd,
                ..blank("turn_done", session)
            }),
            EngineEvent::Error {
                session,
                error,
                code,
                ..
            } if !code
                .as_deref()
                .is_some_and(|code| REPORT_CODES.contains(&code)) =>
            {
                Some(Occurrence {
                    message: Some(error.clone()),
                    code: code.clone(),
                    ..blank("turn_failed", session)
                })
            }
            EngineEvent::Permission { session, tool, .. } => Some(Occurrence {
                tool: Some(tool.clone()),
                ..blank("permission_requested", session)
            }),
            _ => None,
        }
    }
}

/// Notifications built and not yet delivered, oldest first.
struct Queue {
    /// A std mutex: held only to push or pop, never across an await.
    pending: Mutex<VecDeque<Notification>>,
    /// Wakes the delivery task when a notification is pushed.
    pushed: Notify,
}

impl Queue {
    fn push(&self, notification: Notification) {
        let mut pending = self.pending.lock().expect("webhook queue");
        pending.push_back(notification);
        if pending.len() > MAX_PENDING
            && let Some(dropped) = pending.pop_front()
        {
            tracing::warn!(
                event = dropped.event,
                session = %dropped.session_id,
                "webhook: {MAX_PENDING} notifications are waiting for the receiver; the oldest is dropped"
            );
        }
        drop(pending);
        self.pushed.notify_one();
    }

    async fn pop(&self) -> Notification {
        loop {
            if let Some(notification) = self.pending.lock().expect("webhook queue").pop_front() {
                return notification;
            }
            // `notify_one` keeps a permit when nobody waits, so a push between the check above
            // and this wait is not missed.
            self.pushed.notified().await;
        }
    }
}

/// Starts the webhook: subscribes now (so no event after this call is missed), then watches the
/// engine's events and delivers on tasks of its own until `shutdown`. `ui_url` is the web UI's
/// address, for each notification's link to its session.
pub fn spawn(
    engine: &Engine,
    webhook: Webhook,
    ui_url: String,
    shutdown: CancellationToken,
) -> anyhow::Result<JoinHandle<()>> {
    let url = reqwest::Url::parse(webhook.url.as_str())?;
    let client = reqwest::Client::builder()
        .timeout(webhook.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("agentyard/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let queue = Arc::new(Queue {
        pending: Mutex::new(VecDeque::new()),
        pushed: Notify::new(),
    });
    tracing::info!(
        origin = webhook.url.origin(),
        "webhook: turns that end, fail or wait for a permission answer are posted"
    );
    let watcher = watch(
        engine.clone(),
        engine.subscribe(),
        queue.clone(),
        ui_url,
        shutdown.clone(),
    );
    let sender = Sender {
        client,
        url,
        origin: webhook.url.origin().to_owned(),
        retry_delays: webhook.retry_delays,
    };
    let delivery = sender.run(queue, shutdown);
    Ok(tokio::spawn(async move {
        tokio::join!(watcher, delivery);
    }))
}

async fn watch(
    engine: Engine,
    mut events: Receiver<EngineEvent>,
    queue: Arc<Queue>,
    ui_url: String,
    shutdown: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return,
            event = events.recv() => event,
        };
        match event {
            Ok(event) => {
                if let Some(occurrence) = Occurrence::of(&event) {
                    queue.push(notification(&engine, occurrence, &ui_url).await);
                }
            }
            Err(RecvError::Lagged(missed)) => tracing::warn!(
                missed,
                "webhook: fell behind the engine's events; notifications among them are lost"
            ),
            Err(RecvError::Closed) => return,
        }
    }
}

/// The notification of `occurrence`, with the session's and project's names as they are now.
async fn notification(engine: &Engine, occurrence: Occurrence, ui_url: &str) -> Notification {
    let session = engine.session(occurrence.session).await.ok();
    let project = match &session {
        Some(session) => engine.project(session.project_id).await.ok(),
        None => None,
    };
    Notification {
        event: occurrence.event,
        session_id: occurrence.session.to_string(),
        project_id: session
            .as_ref()
            .map(|session| session.project_id.to_string()),
        session_title: session.map(|session| session.title),
        project_name: project.map(|project| project.name),
        message: occurrence.message,
        code: occurrence.code,
        tool: occurrence.tool,
        interrupted: occurrence.interrupted,
        cost_usd: occurrence.cost_usd,
        at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        url: format!("{ui_url}/sessions/{}", occurrence.session),
    }
}

/// Delivers queued notifications one at a time, in order.
struct Sender {
    client: reqwest::Client,
    url: reqwest::Url,
    /// What log lines name instead of the URL, whose path or query may hold a secret.
    origin: String,
    retry_delays: Vec<Duration>,
}

/// How one POST went.
enum Attempt {
    Delivered,
    /// A network error, a timeout, a 5xx or 429: worth trying again.
    Retry(String),
    /// Any other answer: the receiver refused this notification, and would again.
    Refused(StatusCode),
}

impl Sender {
    async fn run(self, queue: Arc<Queue>, shutdown: CancellationToken) {
        loop {
            let notification = tokio::select! {
                _ = shutdown.cancelled() => return,
                notification = queue.pop() => notification,
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                () = self.deliver(&notification) => {}
            }
        }
    }

    async fn deliver(&self, notification: &Notification) {
        let body = match serde_json::to_vec(notification) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!("webhook: a notification could not be written as JSON: {error}");
                return;
            }
        };
        let attempts = self.retry_delays.len() + 1;
        for attempt in 1..=attempts {
            let outcome = self.post(notification.event, body.clone()).await;
            let reason = match outcome {
                Attempt::Delivered => return,
                Attempt::Refused(status) => {
                    tracing::warn!(
                        origin = %self.origin,
                        event = notification.event,
                        session = %notification.session_id,
                        %status,
                        "webhook: the receiver refused the notification; it is not sent again"
                    );
                    return;
                }
                Attempt::Retry(reason) => reason,
            };
            let Some(delay) = self.retry_delays.get(attempt - 1) else {
                tracing::warn!(
                    origin = %self.origin,
                    event = notification.event,
                    session = %notification.session_id,
                    "webhook: giving up after {attempts} attempts: {reason}"
                );
                return;
            };
            tracing::info!(
                origin = %self.origin,
                event = notification.event,
                attempt,
                "webhook: delivery failed ({reason}); trying again in {delay:?}"
            );
            tokio::time::sleep(*delay).await;
        }
    }

    async fn post(&self, event: &'static str, body: Vec<u8>) -> Attempt {
        let sent = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Agentyard-Event", event)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Attempt::Delivered,
            Ok(response)
                if response.status().is_server_error()
                    || response.status() == StatusCode::TOO_MANY_REQUESTS =>
            {
                Attempt::Retry(format!("the receiver answered {}", response.status()))
            }
            Ok(response) => Attempt::Refused(response.status()),
            // Without the URL: its path or query may hold the receiver's secret.
            Err(error) => {
                let error = error.without_url();
                let mut reason = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    reason = format!("{reason}: {cause}");
                    source = cause.source();
                }
                Attempt::Retry(reason)
            }
        }
    }
}
