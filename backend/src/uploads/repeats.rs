//! Repeated CURPs in a file of up to millions of rows.

use confrontas_api::Curp;

/// The first row of each CURP seen, keyed by the CURP packed in 96 bits (about 32 bytes per
/// distinct CURP). foldhash instead of SipHash: this is looked up once per row, and foldhash is
/// still seeded per process, so a file cannot be crafted to collide.
#[derive(Default)]
pub struct FirstRows(foldhash::HashMap<[u32; 3], u32>);

impl FirstRows {
    /// Records `curp` at `row`; when it was seen before, returns that earlier row instead.
    pub fn repeat_of(&mut self, curp: &Curp, row: u32) -> Option<u32> {
        match self.0.entry(curp.packed()) {
            std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(row);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_names_the_first_row_and_keeps_naming_it() {
        let curp = Curp::parse("HEGG560427MVZRRL04").unwrap();
        let other = Curp::parse("BEML920313HMCLNS09").unwrap();
        let mut rows = FirstRows::default();
        assert_eq!(rows.repeat_of(&curp, 2), None);
        assert_eq!(rows.repeat_of(&other, 3), None);
        assert_eq!(rows.repeat_of(&curp, 7), Some(2));
        assert_eq!(rows.repeat_of(&curp, 9), Some(2));
    }
}
