//! The entry point of the reaper's fuzz target (`fuzz/`), compiled only with `--cfg fuzzing`
//! (which `cargo fuzz` sets), so it is no part of the crate's API.

use crate::protocol::{self, Line, ACK};

/// Feeds `bytes` to the line reader and request parser as one client connection would, and
/// checks the protocol's promises for every line: the answer is `ACK` or one `ERROR …` line,
/// nothing panics, and an accepted filter set always pins one session (so no line, however
/// odd, can widen what the reaper removes).
pub fn client_connection(bytes: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime without drivers always builds");
    runtime.block_on(async {
        let mut reader = tokio::io::BufReader::new(bytes);
        loop {
            let line = match protocol::read_line(&mut reader).await {
                Ok(Some(Line::Text(line))) => line,
                // The server closes the connection on a too-long line and at the end.
                Ok(Some(Line::TooLong)) | Ok(None) => return,
                Err(err) => panic!("reading from memory failed: {err}"),
            };
            assert!(
                line.len() <= protocol::MAX_LINE,
                "a line over the limit was read"
            );
            if line.trim_ascii().is_empty() {
                continue;
            }
            let answer = match protocol::read_request(&line) {
                Ok(filters) => {
                    let session = filters
                        .session()
                        .expect("an accepted filter set pins a session");
                    let engine = filters.to_engine();
                    let labels = engine.get("label").expect("an accepted set has labels");
                    assert!(
                        labels.iter().any(|l| l.ends_with(&format!("={session}"))),
                        "the session {session:?} is not among the labels sent to the engine"
                    );
                    ACK.to_vec()
                }
                Err(refusal) => refusal.answer(),
            };
            let text = String::from_utf8(answer).expect("answers are text");
            assert!(
                text == "ACK\n" || (text.starts_with("ERROR ") && text.len() > "ERROR \n".len()),
                "an answer that is neither ACK nor an error: {text:?}"
            );
            assert_eq!(
                text.matches('\n').count(),
                1,
                "an answer of more than one line: {text:?}"
            );
            assert!(text.ends_with('\n'));
        }
    });
}
