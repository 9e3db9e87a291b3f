//! `throwaway-reaper`: the Ryuk-compatible reaper; see the `throwaway_reaper` crate docs for
//! the protocol and the `RYUK_*` variables. Exits 0 when everything that matched was removed,
//! 1 otherwise.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let outcome = match throwaway_reaper::Config::from_env() {
        Ok(config) => throwaway_reaper::run(config).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(report) if report.is_clean() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            eprintln!("throwaway-reaper: {message}");
            ExitCode::FAILURE
        }
    }
}
