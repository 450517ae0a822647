//! Properties of CURP validation over the synthetic population (deterministic, seeded):
//! every generated CURP validates; a single-character corruption is rejected unless it happens to
//! keep a valid check digit (and a valid structure); arbitrary strings never panic the parser.

use confrontas_api::identity::STATES;
use confrontas_api::{Curp, CurpProblem};
use confrontas_server::population::Population;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

/// The check digit, implemented independently of `Curp::check_digit` (reference §3.5).
fn independent_check_digit_ok(curp: &str) -> bool {
    let chars: Vec<char> = curp.chars().collect();
    if chars.len() != 18 {
        return false;
    }
    let weights = (2..=18).rev();
    let sum: Option<u32> = chars[..17]
        .iter()
        .zip(weights)
        .map(|(c, w)| {
            ALPHABET
                .find(*c)
                .map(|_| ALPHABET.chars().position(|a| a == *c).unwrap() as u32 * w)
        })
        .sum();
    sum.is_some_and(|s| chars[17].to_digit(10) == Some((10 - s % 10) % 10))
}

#[test]
fn every_generated_curp_validates() {
    for person in Population::new(42).people(10_000) {
        assert_eq!(
            Curp::parse(person.curp.as_str()).as_ref(),
            Ok(&person.curp),
            "person {}",
            person.index
        );
        assert!(independent_check_digit_ok(person.curp.as_str()));
    }
}

#[test]
fn single_character_corruptions_are_rejected_unless_they_keep_a_valid_check_digit() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let alphabet: Vec<char> = ALPHABET.chars().collect();
    let (mut rejected, mut accepted, mut wrong_digit) = (0, 0, 0);
    for person in Population::new(43).people(5_000) {
        let original: Vec<char> = person.curp.as_str().chars().collect();
        for _ in 0..8 {
            let position = rng.random_range(0..18);
            let replacement = alphabet[rng.random_range(0..alphabet.len())];
            if replacement == original[position] {
                continue;
            }
            let mut corrupted = original.clone();
            corrupted[position] = replacement;
            let corrupted: String = corrupted.into_iter().collect();
            let digit_ok = independent_check_digit_ok(&corrupted);
            match Curp::parse(&corrupted) {
                Ok(curp) => {
                    assert!(digit_ok, "{corrupted} accepted with a wrong check digit");
                    assert!(STATES.iter().any(|(code, _)| *code == curp.state()));
                    accepted += 1;
                }
                Err(problem) => {
                    rejected += 1;
                    if !digit_ok {
                        wrong_digit += 1;
                    }
                    if position == 17 {
                        // Only the check digit changed: nothing else can be wrong.
                        let expected = if replacement.is_ascii_digit() {
                            CurpProblem::CheckDigit
                        } else {
                            CurpProblem::Format
                        };
                        assert_eq!(problem, expected, "{corrupted}");
                    }
                }
            }
        }
    }
    // Most corruptions break the check digit; some (e.g. any change at the weight-10 position, a
    // date digit) keep it and are accepted when the result is still a real date.
    assert!(
        rejected > 30_000 && accepted > 100,
        "rejected {rejected}, accepted {accepted}"
    );
    assert!(wrong_digit > 25_000, "{wrong_digit}");
}

#[test]
fn arbitrary_strings_never_panic_and_accepted_ones_are_well_formed() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let pool: Vec<char> = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ abcxyzé-_/\\\u{0}\u{202e}ß漢"
        .chars()
        .collect();
    for _ in 0..200_000 {
        let length = rng.random_range(0..24);
        let candidate: String = (0..length)
            .map(|_| pool[rng.random_range(0..pool.len())])
            .collect();
        if let Ok(curp) = Curp::parse(&candidate) {
            assert!(independent_check_digit_ok(curp.as_str()), "{candidate}");
            assert_eq!(curp.as_str().len(), 18);
        }
    }
}
