//! What became of a container whose server stopped answering, for the message that says
//! so.

use crate::error::{engine_detail, is_not_found};

/// "the container was removed", "… is paused", "… is not running (it exited with code 137)"
/// or "… is running but the server did not answer".
pub(crate) async fn container_state(docker: &bollard::Docker, id: &str) -> String {
    match crate::engine::inspect::inspect_container(docker, id).await {
        Err(e) if is_not_found(&e) => "the container was removed".to_string(),
        Err(e) => format!(
            "the engine could not say what became of the container: {}",
            engine_detail(&e)
        ),
        Ok(inspected) => {
            let state = inspected.state.unwrap_or_default();
            if state.paused == Some(true) {
                "the container is paused".to_string()
            } else if state.running == Some(true) {
                "the container is running but the server did not answer".to_string()
            } else {
                match state.exit_code {
                    Some(code) => {
                        format!("the container is not running (it exited with code {code})")
                    }
                    None => "the container is not running".to_string(),
                }
            }
        }
    }
}
