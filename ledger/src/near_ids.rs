//! Person ids that are probably one person typed twice.
//!
//! An investigator who types `ua-0101` for `UA-0101`, or `UA-O101` (a
//! letter O) for `UA-0101`, opens a second file on one person: their
//! evidence splits, and each half shows a status the whole would not. Once
//! signed, neither id can be withdrawn. `custody append` therefore refuses a
//! *new* id that is near an existing one (or another new one) until it is
//! confirmed.
//!
//! ## Near
//!
//! Two different ids are near when, compared without regard to ASCII case,
//! they are equal, or one *edit* turns one into the other: a character
//! changed, inserted or deleted, or two adjacent characters swapped —
//! except edits that touch a digit. The digits of an id are usually a
//! number in a register, and ids one digit apart (`P-12`, `P-13`, `P-21`,
//! `P-120`, `K1-10` beside `K11-0`, `P-X` beside `P-0`) are different
//! persons in any numbered series: flagging them would make every batch of
//! a series need confirmation, and a check that always fires is ignored.
//! So an edit is near when it changes one letter or punctuation mark into
//! another, inserts or deletes one, or swaps two of them (`UA-0101`,
//! `UA0101`, `AU-0101`); a digit only where it is read for a letter it
//! looks like (`O`/`0`, `I`/`1`, `l`/`1`, `S`/`5`, `B`/`8`, `Z`/`2`:
//! `UA-O101`).
//!
//! ## Cost
//!
//! A ledger holds 100,000 persons or more, and a batch thousands of new
//! ones; comparing each pair would be 10⁸ comparisons. [`NearIndex`] keys
//! the new ids by their *deletion neighbourhood* (the case-folded id and
//! each id with one character deleted): two ids one edit apart always
//! share a key (a change at `i` deletes to the same string at `i`, a swap
//! at `i` at `i` and `i + 1`, an insertion to the shorter id itself). Each
//! existing id is then read once and its keys looked up, so an append costs
//! one pass over the ledger's persons, with hash lookups proportional to an
//! id's length, and memory proportional to the batch.

use std::collections::HashMap;

/// The id as it is compared: ASCII letters folded to lower case (person
/// ids are ASCII).
fn fold(id: &str) -> Vec<u8> {
    id.bytes().map(|b| b.to_ascii_lowercase()).collect()
}

/// A digit and the letter it is mistaken for (folded).
const LOOK_ALIKE: [(u8, u8); 6] = [
    (b'0', b'o'),
    (b'1', b'i'),
    (b'1', b'l'),
    (b'5', b's'),
    (b'8', b'b'),
    (b'2', b'z'),
];

/// True if changing `x` into `y` (folded, different) is a near edit: it
/// touches no digit, or a digit for its look-alike letter.
fn near_change(x: u8, y: u8) -> bool {
    !(x.is_ascii_digit() || y.is_ascii_digit())
        || LOOK_ALIKE.contains(&(x, y))
        || LOOK_ALIKE.contains(&(y, x))
}

/// True if `a` and `b` are different ids that are near (see the module
/// docs).
pub fn is_near(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let (a, b) = (fold(a), fold(b));
    if a == b {
        return true;
    }
    let digit = |c: u8| c.is_ascii_digit();
    if a.len() == b.len() {
        let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        return match diff.as_slice() {
            [i] => near_change(a[*i], b[*i]),
            [i, j] => {
                *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i] && !(digit(a[*i]) || digit(a[*j]))
            }
            _ => false,
        };
    }
    let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
    if long.len() != short.len() + 1 {
        return false;
    }
    // The first position where they differ is a deleted character; a run of
    // equal characters gives the same string whichever of them is deleted.
    let i = (0..short.len())
        .find(|&i| long[i] != short[i])
        .unwrap_or(short.len());
    long[i + 1..] == short[i..] && !digit(long[i])
}

/// Calls `f` with every key of `id`'s deletion neighbourhood: the folded id
/// and the folded id with each one character deleted (a key may repeat).
fn for_each_key(id: &str, mut f: impl FnMut(&[u8])) {
    let folded = fold(id);
    f(&folded);
    let mut key = Vec::with_capacity(folded.len());
    for i in 0..folded.len() {
        key.clear();
        key.extend_from_slice(&folded[..i]);
        key.extend_from_slice(&folded[i + 1..]);
        f(&key);
    }
}

/// An index of ids (a batch's new persons) that finds, for any id, those
/// of them near it.
pub struct NearIndex {
    ids: Vec<String>,
    keys: HashMap<Vec<u8>, Vec<usize>>,
}

impl NearIndex {
    /// Indexes `ids` (expected distinct).
    pub fn new(ids: Vec<String>) -> NearIndex {
        let mut keys: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (n, id) in ids.iter().enumerate() {
            for_each_key(id, |k| {
                let list = keys.entry(k.to_vec()).or_default();
                if list.last() != Some(&n) {
                    list.push(n);
                }
            });
        }
        NearIndex { ids, keys }
    }

    /// The indexed ids.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The positions (in [`NearIndex::ids`]) of the indexed ids near
    /// `other`, ascending, without repeats.
    pub fn near(&self, other: &str) -> Vec<usize> {
        let mut found = Vec::new();
        for_each_key(other, |k| {
            if let Some(list) = self.keys.get(k) {
                found.extend(
                    list.iter()
                        .copied()
                        .filter(|&n| is_near(&self.ids[n], other)),
                );
            }
        });
        found.sort_unstable();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    /// The definition, spelled out independently: every id one allowed
    /// edit away from `a` (folded), by enumeration.
    fn one_edit_away(a: &str) -> HashSet<Vec<u8>> {
        let a = fold(a);
        let alphabet: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz0123456789._:-".to_vec();
        let digit = |c: u8| c.is_ascii_digit();
        let mut out = HashSet::new();
        for i in 0..a.len() {
            if !digit(a[i]) {
                let mut d = a.clone();
                d.remove(i);
                out.insert(d);
            }
            for &c in &alphabet {
                let look_alike = LOOK_ALIKE.contains(&(c, a[i])) || LOOK_ALIKE.contains(&(a[i], c));
                if c != a[i] && (!(digit(c) || digit(a[i])) || look_alike) {
                    let mut s = a.clone();
                    s[i] = c;
                    out.insert(s);
                }
            }
            if i + 1 < a.len() && a[i] != a[i + 1] && !(digit(a[i]) || digit(a[i + 1])) {
                let mut t = a.clone();
                t.swap(i, i + 1);
                out.insert(t);
            }
        }
        for i in 0..=a.len() {
            for &c in alphabet.iter().filter(|c| !c.is_ascii_digit()) {
                let mut s = a.clone();
                s.insert(i, c);
                out.insert(s);
            }
        }
        out
    }

    fn brute_near(a: &str, b: &str) -> bool {
        a != b && (fold(a) == fold(b) || one_edit_away(a).contains(&fold(b)))
    }

    #[test]
    fn examples() {
        assert!(is_near("ua-0101", "UA-0101"), "case only");
        assert!(is_near("UA-O101", "UA-0101"), "letter O for zero");
        assert!(is_near("UA0101", "UA-0101"), "a lost hyphen");
        assert!(is_near("UA-0101", "AU-0101"), "swapped letters");
        assert!(!is_near("UA-0101", "UA-0102"), "another number");
        assert!(
            !is_near("UA-0110", "UA-0101"),
            "swapped digits: another number"
        );
        assert!(!is_near("P-1", "P-10"), "a digit more: another number");
        assert!(!is_near("UA-0101", "UA-0101"), "the same id");
        assert!(!is_near("abc", "bxc"), "two edits");
        assert!(
            !is_near("P-X", "P-0"),
            "a digit for a letter it does not look like"
        );
        assert!(is_near("P-l", "P-1"), "a digit for a letter it looks like");
        assert!(!is_near("K11-0", "K1-10"), "a digit moved: another number");
    }

    #[test]
    fn the_index_finds_near_ids_and_only_them() {
        let index = NearIndex::new(vec!["UA-0101".into(), "UA-0102".into(), "X".into()]);
        assert_eq!(index.near("ua-0101"), vec![0]);
        assert_eq!(index.near("UA-O102"), vec![1]);
        assert_eq!(index.near("UA-0103"), Vec::<usize>::new());
        assert_eq!(index.near("UA-0101"), Vec::<usize>::new(), "itself");
        assert_eq!(index.near("x"), vec![2]);
    }

    proptest! {
        /// On ids drawn from a small alphabet (so that near pairs are
        /// common), the index and the brute-force definition agree on
        /// every pair, and `is_near` is symmetric.
        #[test]
        fn the_index_agrees_with_brute_force(
            ids in proptest::collection::vec("[aAoO01-][aAlLoO012-]{0,4}", 1..12),
            probes in proptest::collection::vec("[aAlLoO012-]{1,5}", 1..12),
        ) {
            let ids: Vec<String> = ids.into_iter().collect::<HashSet<_>>().into_iter().collect();
            let index = NearIndex::new(ids.clone());
            for p in probes.iter().chain(ids.iter()) {
                let want: Vec<usize> = (0..ids.len()).filter(|&n| brute_near(&ids[n], p)).collect();
                prop_assert_eq!(index.near(p), want, "probe {}", p);
                for id in &ids {
                    prop_assert_eq!(is_near(id, p), is_near(p, id));
                    prop_assert_eq!(is_near(id, p), brute_near(id, p), "{} {}", id, p);
                }
            }
        }
    }
}
