//! The server's HTTP surface, spoken to with plain HTTP/1.1 over a loopback socket.

use scripted_model::{Reply, Script, ScriptedModel};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;

/// Sends one request and returns the status line, the headers and the body as text.
fn post(address: std::net::SocketAddr, path: &str, body: &Value) -> (String, String) {
    let body = body.to_string();
    let mut stream = TcpStream::connect(address).expect("the server accepts connections");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nx-api-key: test-key\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("a response head and body");
    (head.to_owned(), body.to_owned())
}

fn conversation(stream: bool) -> Value {
    json!({
        "model": "claude-test", "stream": stream, "max_tokens": 100,
        "tools": [{ "name": "Bash", "input_schema": { "type": "object" } }],
        "messages": [{ "role": "user", "content": [{ "type": "text", "text": "run LIST please" }] }]
    })
}

fn list_script() -> Script {
    Script::new().rule(
        "LIST",
        [Reply::tool_use("Bash", json!({ "command": "ls" }))],
    )
}

#[test]
fn a_streamed_reply_sends_the_api_events_in_order() {
    let model = ScriptedModel::start(list_script());
    let (head, body) = post(
        model.address(),
        "/v1/messages?beta=true",
        &conversation(true),
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    let order = [
        "event: message_start",
        "event: content_block_start",
        "event: content_block_delta",
        "event: content_block_stop",
        "event: message_delta",
        "event: message_stop",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|event| {
            body.find(event)
                .unwrap_or_else(|| panic!("no `{event}` in {body}"))
        })
        .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{body}");
    assert!(body.contains(r#""type":"input_json_delta""#), "{body}");
    assert!(body.contains(r#""stop_reason":"tool_use""#), "{body}");
}

#[test]
fn a_plain_reply_is_one_json_message_with_usage() {
    let model = ScriptedModel::start(list_script());
    let (head, body) = post(model.address(), "/v1/messages", &conversation(false));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let message: Value = serde_json::from_str(&body).expect("a JSON message");
    assert_eq!(message["type"], "message");
    assert_eq!(message["model"], "claude-test");
    assert_eq!(message["content"][0]["type"], "tool_use");
    assert_eq!(message["content"][0]["input"], json!({ "command": "ls" }));
    assert!(message["usage"]["input_tokens"].as_u64() > Some(0));
    assert!(message["usage"]["output_tokens"].as_u64() > Some(0));
}

#[test]
fn token_counting_answers_a_count() {
    let model = ScriptedModel::start(Script::new());
    let (_, body) = post(
        model.address(),
        "/v1/messages/count_tokens",
        &conversation(false),
    );
    let count: Value = serde_json::from_str(&body).expect("a JSON answer");
    assert!(count["input_tokens"].as_u64() > Some(0), "{body}");
}

#[test]
fn every_call_is_recorded_with_its_path_headers_and_body() {
    let model = ScriptedModel::start(Script::new());
    post(
        model.address(),
        "/v1/messages?beta=true",
        &conversation(false),
    );
    let requests = model.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/messages?beta=true");
    assert_eq!(requests[0].headers["x-api-key"], "test-key");
    assert_eq!(requests[0].body, conversation(false));
}

#[test]
fn a_body_that_is_not_json_gets_the_apis_error_shape() {
    let model = ScriptedModel::start(Script::new());
    let mut stream = TcpStream::connect(model.address()).expect("connect");
    write!(
        stream,
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nnot"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("invalid_request_error"), "{response}");
}

#[test]
fn dropping_the_handle_stops_the_server() {
    let model = ScriptedModel::start(Script::new());
    let address = model.address();
    drop(model);
    assert!(TcpStream::connect(address).is_err());
}

#[test]
fn the_binary_serves_a_script_file_on_the_port_it_prints() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let script_path = dir.path().join("script.json");
    let script = json!({ "rules": [{ "when": "LIST", "steps": [{ "type": "text", "text": "from the file" }] }] });
    std::fs::write(&script_path, script.to_string()).expect("the script file");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scripted-model"))
        .args(["--port", "0", "--script"])
        .arg(&script_path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut first_line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("piped stdout")),
        &mut first_line,
    )
    .expect("the binary prints its URL");
    let address = first_line
        .trim()
        .strip_prefix("http://")
        .and_then(|address| address.parse().ok())
        .unwrap_or_else(|| panic!("not a base URL: {first_line}"));
    let (_, body) = post(address, "/v1/messages", &conversation(false));
    child.kill().expect("the binary stops");
    let _ = child.wait();
    let message: Value = serde_json::from_str(&body).expect("a JSON message");
    assert_eq!(message["content"][0]["text"], "from the file");
}

#[test]
fn the_binary_refuses_an_unknown_argument() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_scripted-model"))
        .arg("--bogus")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown argument `--bogus`"));
}
