//! Running the server binary as operators do: reading its banner, stopping it.

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::{Duration, Instant};

/// Reads the child's output up to the line containing `last`, then keeps draining it in the
/// background: the process must keep running whatever happens to its stdout, and the test must
/// not close it early.
pub fn banner_until(child: &mut std::process::Child, last: &str) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    for line in lines.by_ref().take(30) {
        let line = line.unwrap();
        let done = line.contains(last);
        banner.push(line);
        if done {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    banner.join("\n")
}

/// Sends SIGTERM and waits (up to 15 s) for the child to exit.
pub fn terminate(mut child: std::process::Child) -> std::process::ExitStatus {
    let started = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the process did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
