//! Inspecting and listing containers, tolerant of states that bollard's types do not name.
//!
//! bollard reads `State.Status` (and `State.Health.Status`) into enums of Docker's words.
//! Podman has words of its own: a container whose process has ended is "stopped" until
//! Podman's cleanup has run, and only then "exited". One unknown word makes the whole
//! answer unreadable, so a container that exits while starting would be reported as a JSON
//! error instead of an exit. When that happens, the answer (which bollard's
//! `json_data_content` feature keeps in the error) is read again with each unknown word
//! replaced by the Docker state it means.

use bollard::models::{ContainerInspectResponse, ContainerSummary};
use bollard::Docker;
use serde_json::Value;

/// Docker's container states, the ones bollard knows.
const STATES: &[&str] = &[
    "",
    "created",
    "running",
    "paused",
    "restarting",
    "removing",
    "exited",
    "dead",
    "stopping",
];

/// Docker's healthcheck states, the ones bollard knows.
const HEALTH_STATES: &[&str] = &["", "none", "starting", "healthy", "unhealthy"];

/// `GET /containers/{id}/json`, read even when the engine reports a state bollard does not
/// know.
pub(crate) async fn inspect_container(
    docker: &Docker,
    id: &str,
) -> Result<ContainerInspectResponse, bollard::errors::Error> {
    match docker.inspect_container(id, None).await {
        Err(bollard::errors::Error::JsonDataError {
            message,
            column,
            contents,
        }) => reread(&contents).ok_or(bollard::errors::Error::JsonDataError {
            message,
            column,
            contents,
        }),
        answer => answer,
    }
}

/// `GET /containers/json`, read even when the engine lists a container in a state bollard
/// does not know (Podman's "stopped": one such container would make the whole list
/// unreadable).
pub(crate) async fn list_containers(
    docker: &Docker,
    options: bollard::query_parameters::ListContainersOptions,
) -> Result<Vec<ContainerSummary>, bollard::errors::Error> {
    match docker.list_containers(Some(options)).await {
        Err(bollard::errors::Error::JsonDataError {
            message,
            column,
            contents,
        }) => reread_list(&contents).ok_or(bollard::errors::Error::JsonDataError {
            message,
            column,
            contents,
        }),
        answer => answer,
    }
}

/// The list answer `contents`, with unknown states mapped to Docker's; `None` if it still
/// cannot be read.
fn reread_list(contents: &str) -> Option<Vec<ContainerSummary>> {
    let mut answer: Value = serde_json::from_str(contents).ok()?;
    for container in answer.as_array_mut()? {
        if let Some(state) = container.get_mut("State") {
            normalise(state, STATES, container_state);
        }
    }
    serde_json::from_value(answer).ok()
}

/// The inspect answer `contents`, with unknown states mapped to Docker's; `None` if it
/// still cannot be read.
fn reread(contents: &str) -> Option<ContainerInspectResponse> {
    let mut answer: Value = serde_json::from_str(contents).ok()?;
    if let Some(state) = answer.get_mut("State").and_then(Value::as_object_mut) {
        if let Some(status) = state.get_mut("Status") {
            normalise(status, STATES, container_state);
        }
        if let Some(status) = state
            .get_mut("Health")
            .and_then(Value::as_object_mut)
            .and_then(|health| health.get_mut("Status"))
        {
            normalise(status, HEALTH_STATES, |_| "");
        }
    }
    serde_json::from_value(answer).ok()
}

/// Replaces an unknown word in `status` with `meaning(word)`.
fn normalise(status: &mut Value, known: &[&str], meaning: fn(&str) -> &'static str) {
    if let Some(word) = status.as_str() {
        if !known.contains(&word) {
            tracing::debug!(state = word, "the engine reported a state of its own");
            *status = Value::from(meaning(word));
        }
    }
}

/// The Docker state an engine's own word means. `Running`, `ExitCode` and the rest of the
/// answer are read as the engine gave them; the word only has to be one bollard accepts.
fn container_state(word: &str) -> &'static str {
    match word {
        // Podman: the process ended, the cleanup has not run yet.
        "stopped" => "exited",
        // Podman: created, with its storage and network set up, not started.
        "configured" | "initialized" => "created",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerStateStatusEnum, HealthStatusEnum};

    const PODMAN_STOPPED: &str = r#"{"Id":"abc","State":{"Status":"stopped","Running":false,
        "ExitCode":3,"OOMKilled":false,"Health":{"Status":"booting","FailingStreak":0}}}"#;

    #[test]
    fn a_list_with_podmans_stopped_state_reads_as_exited() {
        let listed = r#"[{"Id":"a7cc","State":"stopped","Status":"Exited (137)"},
            {"Id":"b8dd","State":"running","Status":"Up 2 seconds"}]"#;
        assert!(serde_json::from_str::<Vec<ContainerSummary>>(listed).is_err());
        let read = reread_list(listed).expect("readable once mapped");
        let states: Vec<_> = read.iter().map(|c| c.state).collect();
        assert_eq!(
            states,
            [
                Some(bollard::models::ContainerSummaryStateEnum::EXITED),
                Some(bollard::models::ContainerSummaryStateEnum::RUNNING)
            ]
        );
        assert_eq!(read[0].id.as_deref(), Some("a7cc"));
    }

    #[test]
    fn bollard_alone_cannot_read_podmans_stopped_state() {
        let typed = serde_json::from_str::<ContainerInspectResponse>(PODMAN_STOPPED);
        assert!(typed.unwrap_err().to_string().contains("unknown variant"));
    }

    #[test]
    fn podmans_stopped_reads_as_exited_with_its_exit_code() {
        let answer = reread(PODMAN_STOPPED).expect("readable");
        assert_eq!(answer.id.as_deref(), Some("abc"));
        let state = answer.state.expect("a state");
        assert_eq!(state.status, Some(ContainerStateStatusEnum::EXITED));
        assert_eq!(state.running, Some(false));
        assert_eq!(state.exit_code, Some(3));
        let health = state.health.expect("a health state");
        assert_eq!(health.status, Some(HealthStatusEnum::EMPTY));
    }

    #[test]
    fn other_unknown_states_become_the_empty_state_and_known_ones_stay() {
        let odd = reread(r#"{"State":{"Status":"frobnicated","Running":true}}"#).unwrap();
        let state = odd.state.unwrap();
        assert_eq!(state.status, Some(ContainerStateStatusEnum::EMPTY));
        assert_eq!(state.running, Some(true));
        let created = reread(r#"{"State":{"Status":"configured"}}"#).unwrap();
        assert_eq!(
            created.state.unwrap().status,
            Some(ContainerStateStatusEnum::CREATED)
        );
        let running = reread(r#"{"State":{"Status":"running"}}"#).unwrap();
        assert_eq!(
            running.state.unwrap().status,
            Some(ContainerStateStatusEnum::RUNNING)
        );
    }

    #[test]
    fn an_answer_that_is_not_json_stays_unreadable() {
        assert!(reread("<html>bad gateway</html>").is_none());
        assert!(reread(r#"{"State":{"Running":"yes"}}"#).is_none());
    }
}
