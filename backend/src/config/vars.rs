//! Reading settings from variables. Every value is checked where it is read, and one that
//! cannot be used is refused with the variable's name and what it must be: a setting is never
//! silently changed into another one (`docs/architecture.md`, "Configuration").

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

/// A setting that could not be used, with the variable's name.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

pub(super) fn invalid(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

/// The variables settings are read from: the process environment, or a map in tests.
pub struct Vars<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Vars<'a> {
    /// `lookup` answers `None` for a variable that is unset (an empty value counts as unset).
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Vars<'a> {
        Vars { lookup }
    }

    /// The value as written, when set.
    pub fn text(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.is_empty())
    }

    pub fn text_or(&self, name: &str, default: &str) -> String {
        self.text(name).unwrap_or_else(|| default.to_owned())
    }

    pub fn path_or(&self, name: &str, default: impl Into<PathBuf>) -> PathBuf {
        self.text(name)
            .map_or_else(|| default.into(), PathBuf::from)
    }

    /// A whole number within `range`; `default` when unset.
    pub fn number(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        let value = match self.text(name) {
            None => default,
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| invalid(name, format!("not a whole number: {text:?}")))?,
        };
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(invalid(
                name,
                format!(
                    "must be between {} and {}, got {value}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// A fraction between 0 and 1 (`0.05`); 0 when unset.
    pub fn fraction(&self, name: &'static str) -> Result<f64, ConfigError> {
        let Some(text) = self.text(name) else {
            return Ok(0.0);
        };
        match text.trim().parse::<f64>() {
            Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
            _ => Err(invalid(
                name,
                format!("expected a fraction between 0 and 1 (0.05 for 5 %), got {text:?}"),
            )),
        }
    }

    /// A number of milliseconds within `range`.
    pub fn millis(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.number(name, default, range).map(Duration::from_millis)
    }

    /// A number of seconds within `range`.
    pub fn seconds(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.number(name, default, range).map(Duration::from_secs)
    }

    /// A number of megabytes within `range`, in bytes.
    pub fn megabytes(
        &self,
        name: &'static str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        self.number(name, default, range).map(|mb| mb << 20)
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`).
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        self.choice(
            name,
            default,
            &[
                ("true", true),
                ("1", true),
                ("yes", true),
                ("false", false),
                ("0", false),
                ("no", false),
            ],
        )
        .map_err(|_| {
            invalid(
                name,
                format!(
                    "expected true or false, got {:?}",
                    self.text(name).unwrap_or_default()
                ),
            )
        })
    }

    /// One of the spelled `options`; `default` when unset.
    pub fn choice<T: Copy>(
        &self,
        name: &'static str,
        default: T,
        options: &[(&str, T)],
    ) -> Result<T, ConfigError> {
        let Some(text) = self.text(name) else {
            return Ok(default);
        };
        options
            .iter()
            .find(|(spelling, _)| *spelling == text.trim())
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let spellings: Vec<&str> = options.iter().map(|(s, _)| *s).collect();
                invalid(
                    name,
                    format!("expected {}, got {text:?}", spellings.join(", ")),
                )
            })
    }

    /// An `address:port`.
    pub fn address(&self, name: &'static str, default: &str) -> Result<SocketAddr, ConfigError> {
        let text = self.text_or(name, default);
        text.trim()
            .parse()
            .map_err(|_| invalid(name, format!("not an address:port: {text:?}")))
    }

    /// Two variables that go together: both set, or neither.
    pub fn pair(
        &self,
        first: &'static str,
        second: &'static str,
    ) -> Result<Option<(String, String)>, ConfigError> {
        match (self.text(first), self.text(second)) {
            (Some(a), Some(b)) => Ok(Some((a, b))),
            (None, None) => Ok(None),
            _ => Err(invalid(
                first,
                format!("set both {first} and {second}, or neither"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<T>(vars: &[(&str, &str)], read: impl FnOnce(&Vars) -> T) -> T {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        read(&Vars::new(&lookup))
    }

    #[test]
    fn numbers_out_of_range_are_refused_with_the_range_not_clamped() {
        let error = with(&[("N", "0")], |v| v.number("N", 8, 1..=256)).unwrap_err();
        assert_eq!(error.variable, "N");
        assert_eq!(error.message, "must be between 1 and 256, got 0");
        let error = with(&[("N", "10000")], |v| v.number("N", 8, 1..=256)).unwrap_err();
        assert!(error.message.contains("between 1 and 256"), "{error}");
        assert_eq!(with(&[], |v| v.number("N", 8, 1..=256)).unwrap(), 8);
        assert_eq!(
            with(&[("N", " 12 ")], |v| v.number("N", 8, 1..=256)).unwrap(),
            12
        );
        let error = with(&[("N", "muchos")], |v| v.number("N", 8, 1..=256)).unwrap_err();
        assert_eq!(error.message, "not a whole number: \"muchos\"");
    }

    #[test]
    fn choices_name_every_spelling_accepted() {
        let read = |v: &Vars| v.choice("C", 1, &[("uno", 1), ("dos", 2)]);
        assert_eq!(with(&[("C", "dos")], read).unwrap(), 2);
        assert_eq!(with(&[], read).unwrap(), 1);
        let error = with(&[("C", "tres")], read).unwrap_err();
        assert_eq!(error.message, "expected uno, dos, got \"tres\"");
        let error = with(&[("F", "quizá")], |v| v.flag("F", false)).unwrap_err();
        assert_eq!(error.message, "expected true or false, got \"quizá\"");
    }

    #[test]
    fn pairs_are_both_or_neither() {
        assert!(with(&[("A", "a")], |v| v.pair("A", "B")).is_err());
        assert!(with(&[], |v| v.pair("A", "B")).unwrap().is_none());
        assert_eq!(
            with(&[("A", "a"), ("B", "b")], |v| v.pair("A", "B")).unwrap(),
            Some(("a".to_owned(), "b".to_owned()))
        );
    }
}
