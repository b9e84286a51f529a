//! `scripted-model --port N --script file.json`: the scripted model as a process, for demos and benchmarks.

use scripted_model::{Script, ScriptedModel};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: scripted-model [--port N] [--script file.json]\n\
    Serves the Anthropic Messages API on 127.0.0.1:N (0 or absent: a free port) with scripted replies;\n\
    without --script every request gets the reply \"ok\".";

struct Options {
    port: u16,
    script: Option<PathBuf>,
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        port: 0,
        script: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a number")?;
                options.port = value
                    .parse()
                    .map_err(|_| format!("--port {value} is not a port number (0-65535)"))?;
            }
            "--script" => {
                options.script = Some(args.next().ok_or("--script needs a file path")?.into());
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

fn load_script(path: Option<&PathBuf>) -> Result<Script, String> {
    let Some(path) = path else {
        return Ok(Script::new());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the script {}: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| {
        format!(
            "the script {} is not a valid script: {error}",
            path.display()
        )
    })
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("scripted-model: {problem}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let script = match load_script(options.script.as_ref()) {
        Ok(script) => script,
        Err(problem) => {
            eprintln!("scripted-model: {problem}");
            return ExitCode::from(2);
        }
    };
    let address = SocketAddr::from(([127, 0, 0, 1], options.port));
    let handle = match ScriptedModel::bind(address, script) {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!("scripted-model: cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", handle.base_url());
    // The server lives on its own thread until the process is killed.
    loop {
        std::thread::park();
    }
}
