//! A synthetic, deterministic population of Mexican people, for the demo, the tests, the
//! benchmarks and the RENAPO/SAT simulators.
//!
//! `Population::new(seed).person(i)` is the same person for the same seed and index on every run
//! and machine (ChaCha8 streams, one per index). CURPs follow RENAPO's construction rules from the
//! names (internal vowel and consonants, MARÍA/JOSÉ, particles, Ñ→X, inconvenient words) with a
//! real check digit; [`Population::people`] also makes them unique the way RENAPO does, by
//! changing the homonym differentiator (position 17). RFC initials and date follow the SAT rules;
//! the SAT derives the two homoclave characters from the full name with a table not reproduced
//! here, so they come from a hash of the name; the check digit is computed, except for ~1.5 % of
//! people who, as in real life, carry an RFC whose check digit does not match.

mod names;

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use confrontas_api::identity::{
    CURP_INCONVENIENT_WORDS, RFC_INCONVENIENT_WORDS, STATES, plain_upper,
};
use confrontas_api::{Curp, Rfc, Sex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One synthetic person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub index: u64,
    /// As written on the birth certificate, with accents (e.g. "María de los Ángeles").
    pub given_names: String,
    pub first_surname: String,
    /// Missing for about 3 % of people.
    pub second_surname: Option<String>,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// CURP state code, `NE` when born abroad.
    pub birth_state: &'static str,
    pub curp: Curp,
    pub rfc: Rfc,
}

impl Person {
    /// "NOMBRE(S) PRIMER_APELLIDO SEGUNDO_APELLIDO", as people write it.
    pub fn full_name(&self) -> String {
        let mut name = format!("{} {}", self.given_names, self.first_surname);
        if let Some(second) = &self.second_surname {
            name.push(' ');
            name.push_str(second);
        }
        name
    }
}

/// Seed of the demo's population; the RENAPO and SAT simulators answer from the same people.
pub const DEMO_SEED: u64 = 20_261_122;

#[derive(Debug, Clone, Copy)]
pub struct Population {
    seed: u64,
}

/// Earliest and latest birth dates: farmers from about 20 to 86 years old in 2026.
const BORN_FROM: (i32, u32, u32) = (1940, 1, 1);
const BORN_UNTIL: (i32, u32, u32) = (2005, 12, 31);

impl Population {
    pub fn new(seed: u64) -> Population {
        Population { seed }
    }

    /// The person at `index`. Two indexes can share a CURP (true homonyms); [`Population::people`]
    /// resolves that.
    pub fn person(&self, index: u64) -> Person {
        self.person_with_homonym(index, 0)
    }

    /// The first `count` people, every CURP and RFC unique: on a CURP collision the homonym
    /// differentiator moves to the next digit (born ≤ 1999) or letter (born ≥ 2000), as RENAPO
    /// assigns it; on an RFC collision the homoclave moves on, as the SAT assigns it.
    pub fn people(&self, count: u64) -> impl Iterator<Item = Person> + '_ {
        let mut seen: HashSet<[u8; 17]> = HashSet::new();
        let mut rfcs: HashSet<[u8; 12]> = HashSet::new();
        (0..count).map(move |index| {
            let mut bump = 0;
            let mut person = loop {
                let person = self.person_with_homonym(index, bump);
                let key: [u8; 17] = person.curp.as_str().as_bytes()[..17]
                    .try_into()
                    .expect("18 ASCII characters");
                if seen.insert(key) {
                    break person;
                }
                bump += 1;
            };
            let mut variant = 0;
            while !rfcs.insert(
                person.rfc.as_str().as_bytes()[..12]
                    .try_into()
                    .expect("a persona física's RFC is 13 ASCII characters"),
            ) {
                variant += 1;
                person.rfc = other_homoclave(&person.rfc, variant);
            }
            person
        })
    }

    fn person_with_homonym(&self, index: u64, bump: u32) -> Person {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(index);
        let sex = if rng.random_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let given_list = if sex == Sex::Male {
            names::MALE_GIVEN
        } else {
            names::FEMALE_GIVEN
        };
        let given_names = pick(&mut rng, given_list).to_owned();
        let first_surname = pick(&mut rng, names::SURNAMES).to_owned();
        let second_surname =
            (!rng.random_bool(0.03)).then(|| pick(&mut rng, names::SURNAMES).to_owned());
        let from = NaiveDate::from_ymd_opt(BORN_FROM.0, BORN_FROM.1, BORN_FROM.2).expect("valid");
        let until =
            NaiveDate::from_ymd_opt(BORN_UNTIL.0, BORN_UNTIL.1, BORN_UNTIL.2).expect("valid");
        let birth_date =
            from + chrono::Days::new(rng.random_range(0..=(until - from).num_days() as u64));
        // One in a hundred born abroad; the rest spread over the 32 states.
        let birth_state = if rng.random_bool(0.01) {
            "NE"
        } else {
            STATES[rng.random_range(0..32)].0
        };
        let wrong_rfc_check_digit = rng.random_bool(0.015);

        let names = CurpNames::new(&given_names, &first_surname, second_surname.as_deref());
        let curp = names.curp(birth_date, sex, birth_state, bump);
        let rfc = names.rfc(
            &given_names,
            &first_surname,
            second_surname.as_deref(),
            birth_date,
            wrong_rfc_check_digit,
        );
        Person {
            index,
            given_names,
            first_surname,
            second_surname,
            sex,
            birth_date,
            birth_state,
            curp,
            rfc,
        }
    }
}

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// Particles skipped in compound names and surnames (Instructivo Normativo para la asignación de la CURP).
const PARTICLES: &[&str] = &[
    "DA", "DAS", "DE", "DEL", "DER", "DI", "DIE", "DD", "EL", "LA", "LOS", "LAS", "LE", "LES",
    "MAC", "MC", "VAN", "VON", "Y",
];
/// Given names skipped when another follows (MARÍA JOSÉ → JOSÉ; JOSÉ LUIS → LUIS).
const COMMON_FIRST_NAMES: &[&str] = &["MARIA", "MA.", "MA", "M.", "M", "JOSE", "J.", "J"];

/// The word of a (possibly compound) name that the CURP uses.
fn significant_word(name: &str, skip_common_first_names: bool) -> String {
    let words: Vec<String> = plain_upper(name)
        .split_whitespace()
        .filter(|w| !PARTICLES.contains(w))
        .map(str::to_owned)
        .collect();
    let chosen = match words.as_slice() {
        [first, second, ..]
            if skip_common_first_names && COMMON_FIRST_NAMES.contains(&first.as_str()) =>
        {
            second
        }
        [first, ..] => first,
        [] => {
            return plain_upper(name)
                .split_whitespace()
                .last()
                .unwrap_or("X")
                .to_owned();
        }
    };
    chosen.clone()
}

fn first_internal(word: &str, wanted: impl Fn(char) -> bool) -> char {
    word.chars().skip(1).find(|c| wanted(*c)).unwrap_or('X')
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'A' | 'E' | 'I' | 'O' | 'U')
}

/// The words of a person's name that CURP and RFC are built from.
struct CurpNames {
    given: String,
    first: String,
    second: Option<String>,
}

impl CurpNames {
    fn new(given: &str, first: &str, second: Option<&str>) -> CurpNames {
        CurpNames {
            given: significant_word(given, true),
            first: significant_word(first, false),
            second: second.map(|s| significant_word(s, false)),
        }
    }

    fn curp(&self, birth: NaiveDate, sex: Sex, state: &str, bump: u32) -> Curp {
        // In the CURP, Ñ is written X.
        let curp_word = |word: &str| word.replace('Ñ', "X");
        let (first, given) = (curp_word(&self.first), curp_word(&self.given));
        let second = self.second.as_deref().map(curp_word);
        let initial = |word: &str| word.chars().next().unwrap_or('X');
        let mut letters = [
            initial(&first),
            first_internal(&first, is_vowel),
            second.as_deref().map_or('X', initial),
            initial(&given),
        ];
        let word: String = letters.iter().collect();
        if CURP_INCONVENIENT_WORDS.contains(&word.as_str()) {
            letters[1] = 'X';
        }
        let consonant =
            |word: &str| first_internal(word, |c| c.is_ascii_uppercase() && !is_vowel(c));
        let homonym = if birth.year() < 2000 {
            char::from_digit(bump % 10, 10).expect("digit")
        } else {
            (b'A' + (bump % 26) as u8) as char
        };
        let first_17 = format!(
            "{}{}{}{}{}{}{}{homonym}",
            letters.iter().collect::<String>(),
            birth.format("%y%m%d"),
            sex.letter(),
            state,
            consonant(&first),
            second.as_deref().map_or('X', consonant),
            consonant(&given),
        );
        let check = Curp::check_digit(&first_17).expect("CURP alphabet");
        Curp::parse(&format!("{first_17}{check}")).expect("constructed by the rules")
    }

    /// RFC of a persona física: SAT initials (with one surname: two letters of it and two of the
    /// given name), birth date, a pseudo-homoclave from the full name and the check digit.
    fn rfc(
        &self,
        given: &str,
        first: &str,
        second: Option<&str>,
        birth: NaiveDate,
        wrong_check_digit: bool,
    ) -> Rfc {
        let initial = |word: &str| word.chars().next().unwrap_or('X');
        let mut letters: Vec<char> = match &self.second {
            Some(second) => vec![
                initial(&self.first),
                first_internal(&self.first, is_vowel),
                initial(second),
                initial(&self.given),
            ],
            None => self
                .first
                .chars()
                .take(2)
                .chain(self.given.chars().take(2))
                .collect(),
        };
        while letters.len() < 4 {
            letters.push('X');
        }
        let word: String = letters.iter().collect();
        if RFC_INCONVENIENT_WORDS.contains(&word.as_str()) {
            letters[3] = 'X';
        }
        let hash = plain_upper(&format!("{given} {first} {}", second.unwrap_or_default()))
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        let homoclave = [
            HOMOCLAVE[(hash % 33) as usize] as char,
            HOMOCLAVE[((hash >> 8) % 34) as usize] as char,
        ];
        let body = format!(
            "{}{}{}{}",
            letters.iter().collect::<String>(),
            birth.format("%y%m%d"),
            homoclave[0],
            homoclave[1]
        );
        let mut check = Rfc::check_digit(&body).expect("RFC alphabet");
        if wrong_check_digit {
            check = if check == '0' { '1' } else { '0' };
        }
        Rfc::parse(&format!("{body}{check}")).expect("constructed by the rules")
    }
}

/// Homoclave digits, as the SAT writes them.
const HOMOCLAVE: &[u8] = b"123456789ABCDEFGHIJKLMNPQRSTUVWXYZ";

/// `rfc` with the homoclave of its `variant`-th homonym; a check digit that was wrong stays
/// wrong, as such RFCs exist.
fn other_homoclave(rfc: &Rfc, variant: u32) -> Rfc {
    let text = rfc.as_str();
    let check_was_right = Rfc::check_digit(&text[..12]) == text.chars().last();
    let hash = format!("{text}{variant}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let body = format!(
        "{}{}{}",
        &text[..10],
        HOMOCLAVE[(hash % 33) as usize] as char,
        HOMOCLAVE[((hash >> 8) % 34) as usize] as char
    );
    let mut check = Rfc::check_digit(&body).expect("RFC alphabet");
    if !check_was_right {
        check = if check == '0' { '1' } else { '0' };
    }
    Rfc::parse(&format!("{body}{check}")).expect("constructed by the rules")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curp_of(
        given: &str,
        first: &str,
        second: Option<&str>,
        birth: (i32, u32, u32),
        sex: Sex,
        state: &str,
    ) -> String {
        let birth = NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap();
        CurpNames::new(given, first, second)
            .curp(birth, sex, state, 0)
            .to_string()
    }

    /// Real-rule cases: the first 16 characters are fixed by the names, date, sex and state.
    #[test]
    fn curp_letters_follow_renapo_rules() {
        // Plain case.
        assert_eq!(
            &curp_of(
                "Gloria",
                "Hernández",
                Some("García"),
                (1956, 4, 27),
                Sex::Female,
                "VZ"
            )[..16],
            "HEGG560427MVZRRL"
        );
        // MARÍA is skipped when another given name follows; particles are skipped in surnames.
        assert_eq!(
            &curp_of(
                "María de los Ángeles",
                "De la Cruz",
                Some("Peña"),
                (1970, 1, 2),
                Sex::Female,
                "OC"
            )[..4],
            "CUPA"
        );
        // JOSÉ LUIS uses LUIS; a lone JOSÉ is kept.
        assert_eq!(
            &curp_of(
                "José Luis",
                "Pérez",
                Some("Gómez"),
                (1980, 5, 6),
                Sex::Male,
                "PL"
            )[..4],
            "PEGL"
        );
        assert_eq!(
            &curp_of(
                "José",
                "Pérez",
                Some("Gómez"),
                (1980, 5, 6),
                Sex::Male,
                "PL"
            )[..4],
            "PEGJ"
        );
        // Ñ becomes X; a missing second surname is X.
        let nunez = curp_of("Begoña", "Núñez", None, (1990, 7, 8), Sex::Female, "JC");
        assert_eq!(&nunez[..4], "NUXB");
        assert_eq!(
            &nunez[13..16],
            "XXG",
            "Ñ→X consonant, no second surname, G of Begoña"
        );
        // Inconvenient word: the second letter becomes X (BACA → BXCA).
        assert_eq!(
            &curp_of(
                "Ana",
                "Baez",
                Some("Castro"),
                (1960, 1, 1),
                Sex::Female,
                "DF"
            )[..4],
            "BXCA"
        );
        // Born in 2000 or later: letter differentiator.
        assert_eq!(
            curp_of("Itzel", "Ek", Some("Ay"), (2003, 3, 3), Sex::Female, "YN").as_bytes()[16],
            b'A'
        );
    }

    #[test]
    fn a_homonyms_rfc_differs_only_in_its_homoclave_and_keeps_a_wrong_check_digit_wrong() {
        let right = Rfc::parse("GODE561231GR8").unwrap();
        let wrong = Rfc::parse("GODE561231GR7").unwrap();
        for variant in 1..50 {
            for (rfc, was_right) in [(&right, true), (&wrong, false)] {
                let other = other_homoclave(rfc, variant);
                assert_eq!(&other.as_str()[..10], "GODE561231");
                assert_eq!(other.warnings().is_empty(), was_right, "{other}");
            }
        }
        let others: HashSet<Rfc> = (1..50).map(|v| other_homoclave(&right, v)).collect();
        assert!(others.len() > 40, "variants differ: {}", others.len());
    }

    #[test]
    fn two_people_whose_rules_give_one_rfc_get_different_homoclaves() {
        let population = Population::new(7);
        // Seed 7's people 3,896 and 37,739 are built to the same RFC.
        assert_eq!(population.person(3_896).rfc, population.person(37_739).rfc);
        let rfcs: HashSet<Rfc> = population.people(40_000).map(|p| p.rfc).collect();
        assert_eq!(rfcs.len(), 40_000);
    }

    #[test]
    fn the_same_seed_and_index_give_the_same_person() {
        let population = Population::new(7);
        assert_eq!(population.person(123), population.person(123));
        assert_eq!(
            population.person(123),
            Population::new(7).people(200).nth(123).unwrap()
        );
        assert_ne!(population.person(123), Population::new(8).person(123));
        assert_ne!(population.person(123).curp, population.person(124).curp);
    }

    #[test]
    fn people_have_unique_valid_curps_and_varied_realistic_attributes() {
        let people: Vec<Person> = Population::new(2026).people(20_000).collect();
        let curps: HashSet<&str> = people.iter().map(|p| p.curp.as_str()).collect();
        assert_eq!(curps.len(), people.len(), "every CURP unique");
        let rfcs: HashSet<&str> = people.iter().map(|p| p.rfc.as_str()).collect();
        assert_eq!(rfcs.len(), people.len(), "every RFC unique");
        for person in &people {
            let curp = Curp::parse(person.curp.as_str()).expect("valid CURP");
            assert_eq!(curp.birth_date(), person.birth_date);
            assert_eq!(curp.sex(), person.sex);
            assert_eq!(curp.state(), person.birth_state);
            assert!(Rfc::parse(person.rfc.as_str()).is_ok());
            let rfc_date: String = person.rfc.as_str().chars().skip(4).take(6).collect();
            assert_eq!(
                rfc_date,
                &person.curp.as_str()[4..10],
                "RFC and CURP share the birth date"
            );
            assert_eq!(person.rfc.belongs_to(&curp), Ok(()), "{person:?}");
        }
        let share = |f: &dyn Fn(&Person) -> bool| {
            people.iter().filter(|p| f(p)).count() as f64 / people.len() as f64
        };
        assert!((0.45..0.55).contains(&share(&|p| p.sex == Sex::Female)));
        assert!((0.02..0.04).contains(&share(&|p| p.second_surname.is_none())));
        assert!((0.005..0.015).contains(&share(&|p| p.birth_state == "NE")));
        assert!(
            (0.01..0.02).contains(&share(&|p| !p.rfc.warnings().is_empty())),
            "≈1.5 % wrong RFC check digits"
        );
        assert!(
            share(&|p| p.full_name().to_uppercase().contains('Ñ')) > 0.02,
            "Ñ appears"
        );
        assert!(
            share(&|p| p.given_names.contains(' ')) > 0.1,
            "compound given names appear"
        );
        assert!(
            share(&|p| p.birth_date.year() >= 2000) > 0.05,
            "some born after 2000"
        );
        assert!(
            people
                .iter()
                .all(|p| !CURP_INCONVENIENT_WORDS.contains(&&p.curp.as_str()[..4]))
        );
    }
}
