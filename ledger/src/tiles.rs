//! The ledger's Merkle tree as C2SP `tlog-tiles` (c2sp.org/tlog-tiles):
//! static, immutable files from which any transparency-log client computes
//! the root, inclusion and consistency proofs of a checkpoint's tree.
//!
//! The tree is RFC 9162's, as `merkle` keeps it, so a tile is only another
//! view of complete nodes already stored: hash `i` of the tile `(L, N)` is
//! the complete node at level `8·L`, index `N·256 + i` (the `MTH` of the
//! leaves `[(N·256+i)·256^L, (N·256+i+1)·256^L)`). A tile is *full* with
//! 256 hashes and *partial* (1–255) at the right edge of a tree; a partial
//! tile never feeds the level above. For a tree of `s` leaves, level `L`
//! has `⌊s / 256^L⌋` hashes: `⌊…/256⌋` full tiles and, if the rest is not
//! zero, one partial tile of that width.
//!
//! Entry bundles (`tile/entries/N[.p/W]`) hold the leaves of the level-0
//! tile of the same address, each as a big-endian `u16` length and the
//! leaf's data. Our leaf hash is `SHA-256(0x00 ‖ stored entry bytes)`, so
//! the data is the stored entry itself — and an entry over 65,535 bytes
//! cannot be put in a bundle at all ([`TileError::EntryTooLarge`]).
//!
//! This module computes bytes; writing them to a directory (`custody
//! tiles`) or serving them is the caller's. Hash tiles and checkpoints
//! reveal nothing about people; entry bundles carry the entries, and so
//! the personal data of version 1 and 2 evidence.

use crate::merkle::{Hash, NodeSource};
use crate::store::{Ledger, StoreError};
use custody_format::event::Event;

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// The largest entry an entry bundle can carry (its length is a `u16`).
pub const MAX_BUNDLED_ENTRY: usize = u16::MAX as usize;

/// One tile's address: its level, its index within the level, and how many
/// hashes (or entries) it holds, 1 to 256 (256: a full tile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    /// The tile level `L` (level 0 holds leaf hashes).
    pub level: u8,
    /// The tile index `N` within its level.
    pub index: u64,
    /// The number of hashes, 1..=256.
    pub width: u16,
}

/// Why a tile cannot be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// An entry too large for an entry bundle's `u16` length prefix.
    #[error("entry {seq} is {len} bytes; a tlog-tiles entry bundle holds entries of at most 65,535 bytes (a big-endian u16 length), so this ledger's entries cannot be served as entry bundles")]
    EntryTooLarge {
        /// The entry's seq.
        seq: u64,
        /// Its stored length.
        len: usize,
    },
    /// The store failed, or lacks a node or entry the tree needs.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tile {
    /// True for a tile of 256 hashes.
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// Its path below the log's prefix: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, self.suffix())
    }

    /// The path of the entry bundle of a level-0 tile:
    /// `tile/entries/<N>[.p/<W>]`.
    pub fn entries_path(&self) -> String {
        debug_assert_eq!(self.level, 0);
        format!("tile/entries/{}", self.suffix())
    }

    fn suffix(&self) -> String {
        let n = encode_index(self.index);
        if self.is_full() {
            n
        } else {
            format!("{n}.p/{}", self.width)
        }
    }

    /// The leaves (seqs) a level-0 tile covers.
    pub fn leaves(&self) -> std::ops::Range<u64> {
        let start = self.index * TILE_WIDTH;
        start..start + u64::from(self.width)
    }
}

/// What a tile path names: hashes, or the entries of a level-0 tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileKind {
    /// `tile/<L>/<N>[.p/<W>]`.
    Hashes,
    /// `tile/entries/<N>[.p/<W>]`.
    Entries,
}

/// Parses a tile path below the prefix (`tile/0/x001/234.p/7`,
/// `tile/entries/000`), strictly: only the spec's canonical spelling is
/// accepted (3-digit groups, `x` on all but the last, no group `x000` in
/// front, a level 0–63 and a width 1–255 without leading zeroes), so that
/// one tile has one path. A server routes with it; a level above what a
/// `u64` tree can have is refused.
pub fn parse_tile_path(path: &str) -> Option<(TileKind, Tile)> {
    let rest = path.strip_prefix("tile/")?;
    let (kind, level, rest) = match rest.strip_prefix("entries/") {
        Some(r) => (TileKind::Entries, 0u8, r),
        None => {
            let (l, r) = rest.split_once('/')?;
            let level: u8 = canonical_decimal(l)?.try_into().ok()?;
            // 256^8 = 2^64: a u64 tree has no tile above level 7.
            if level > 7 {
                return None;
            }
            (TileKind::Hashes, level, r)
        }
    };
    let (index_part, width) = match rest.split_once(".p/") {
        Some((n, w)) => {
            let w = canonical_decimal(w)?;
            if !(1..TILE_WIDTH).contains(&w) {
                return None;
            }
            (n, w as u16)
        }
        None => (rest, TILE_WIDTH as u16),
    };
    let index = decode_index(index_part)?;
    Some((
        kind,
        Tile {
            level,
            index,
            width,
        },
    ))
}

/// A decimal without sign or leading zeroes.
fn canonical_decimal(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

/// The inverse of [`encode_index`], refusing any other spelling.
fn decode_index(s: &str) -> Option<u64> {
    let groups: Vec<&str> = s.split('/').collect();
    let (last, front) = groups.split_last()?;
    let mut index: u64 = 0;
    for (i, g) in front
        .iter()
        .map(|g| g.strip_prefix('x'))
        .chain([Some(*last)])
        .enumerate()
    {
        let g = g?;
        if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if i == 0 && g == "000" && !front.is_empty() {
            return None;
        }
        index = index.checked_mul(1000)?.checked_add(g.parse().ok()?)?;
    }
    (encode_index(index) == s).then_some(index)
}

impl Tile {
    /// True if the tree of `size` leaves has exactly this tile (a partial
    /// tile only at its width for this size).
    pub fn is_in_tree_of(&self, size: u64) -> bool {
        let count = if u32::from(self.level) * 8 >= 64 {
            0
        } else {
            size >> (u32::from(self.level) * 8)
        };
        if self.is_full() {
            self.index < count / TILE_WIDTH
        } else {
            self.index == count / TILE_WIDTH && u64::from(self.width) == count % TILE_WIDTH
        }
    }
}

/// A tile index in the spec's path encoding: zero-padded 3-digit elements,
/// every one but the last prefixed with `x` (1234067 → `x001/x234/067`).
pub fn encode_index(index: u64) -> String {
    let mut groups = vec![index % 1000];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| {
            if i == last {
                format!("{g:03}")
            } else {
                format!("x{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every tile of the tree of `size` leaves, level by level, each level's
/// tiles in index order (the partial one, if any, last).
pub fn tiles_of(size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    let mut level = 0u8;
    // Hashes at this tile level: ⌊size / 256^level⌋.
    let mut count = size;
    while count > 0 {
        for index in 0..count / TILE_WIDTH {
            out.push(Tile {
                level,
                index,
                width: TILE_WIDTH as u16,
            });
        }
        let rest = count % TILE_WIDTH;
        if rest > 0 {
            out.push(Tile {
                level,
                index: count / TILE_WIDTH,
                width: rest as u16,
            });
        }
        count /= TILE_WIDTH;
        level += 1;
    }
    out
}

/// The bytes of a hash tile: its `width` hashes, 32 bytes each.
pub fn hash_tile<S: NodeSource>(src: &S, tile: &Tile) -> Result<Vec<u8>, S::Error> {
    let node_level = tile.level * 8;
    let first = tile.index * TILE_WIDTH;
    let mut out = Vec::with_capacity(usize::from(tile.width) * 32);
    for i in 0..u64::from(tile.width) {
        let h: Hash = src.node(node_level, first + i)?;
        out.extend_from_slice(&h);
    }
    Ok(out)
}

/// The bytes of an entry bundle from the stored entries of a level-0
/// tile's leaves, given in seq order as `(seq, bytes)`.
pub fn entry_bundle(
    entries: impl IntoIterator<Item = (u64, Vec<u8>)>,
) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for (seq, bytes) in entries {
        let len = u16::try_from(bytes.len()).map_err(|_| TileError::EntryTooLarge {
            seq,
            len: bytes.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    Ok(out)
}

/// The latest checkpoint recorded in a ledger's chain, as its signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedCheckpoint {
    /// The seq of the `checkpoint` entry.
    pub seq: u64,
    /// Its tree size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The key that signed it.
    pub signer: [u8; 32],
    /// The signed note, rebuilt from the entry: byte for byte the note
    /// `custody checkpoint` printed (without any cosignature).
    pub note: String,
}

impl Ledger {
    /// The newest `checkpoint` entry of the chain, if any, as a note.
    pub fn latest_checkpoint(&self) -> Result<Option<RecordedCheckpoint>, StoreError> {
        for seq in self.checkpoint_seqs_back() {
            let seq = seq?;
            let Some(e) = self.entry(seq)? else { continue };
            if let Event::Checkpoint(c) = e.event() {
                let name = self.name();
                let text = custody_format::note::note_text(name, c.tree_size, &c.root_hash.0);
                let signer = e.body().signer.0;
                let note =
                    custody_format::note::signed_note(&text, name, &signer, &c.note_signature.0);
                return Ok(Some(RecordedCheckpoint {
                    seq,
                    size: c.tree_size,
                    root: c.root_hash.0,
                    signer,
                    note,
                }));
            }
        }
        Ok(None)
    }

    /// The bytes of a hash tile of this ledger's tree (the tile must lie
    /// within the ledger).
    pub fn hash_tile(&self, tile: &Tile) -> Result<Vec<u8>, StoreError> {
        hash_tile(&self.merkle_nodes(), tile)
    }

    /// The bytes of the entry bundle of a level-0 tile: its entries' stored
    /// bytes, each behind its length.
    pub fn entry_bundle(&self, tile: &Tile) -> Result<Vec<u8>, TileError> {
        let range = tile.leaves();
        let mut entries = Vec::with_capacity(usize::from(tile.width));
        for r in self.entries_from(range.start) {
            let (seq, bytes) = r?;
            if seq >= range.end {
                break;
            }
            entries.push((seq, bytes));
        }
        if entries.len() != usize::from(tile.width) {
            return Err(StoreError::Range(format!(
                "the ledger does not hold entries {}..{}",
                range.start, range.end
            ))
            .into());
        }
        entry_bundle(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{node_hash, root, MemoryTree};

    #[test]
    fn index_encoding_is_the_specs() {
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(5), "005");
        assert_eq!(encode_index(999), "999");
        assert_eq!(encode_index(1000), "x001/000");
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
    }

    /// The spec's examples: 70,000 leaves are 273 full level-0 tiles, one
    /// partial of width 112, one full level-1 tile, one partial of 17 and
    /// one level-2 tile of width 1; 256 leaves are a full level-0 tile and
    /// a level-1 tile of width 1.
    #[test]
    fn tile_sets_match_the_specs_examples() {
        let t = tiles_of(70_000);
        let at = |l: u8| t.iter().filter(move |x| x.level == l);
        assert_eq!(at(0).filter(|x| x.is_full()).count(), 273);
        assert_eq!(at(0).next_back().unwrap().width, 112);
        assert_eq!(at(1).filter(|x| x.is_full()).count(), 1);
        assert_eq!(at(1).next_back().unwrap().width, 17);
        assert_eq!(at(2).collect::<Vec<_>>().len(), 1);
        assert_eq!(at(2).next_back().unwrap().width, 1);
        assert_eq!(t.len(), 273 + 1 + 1 + 1 + 1);
        assert_eq!(
            tiles_of(256),
            [
                Tile {
                    level: 0,
                    index: 0,
                    width: 256
                },
                Tile {
                    level: 1,
                    index: 0,
                    width: 1
                }
            ]
        );
        assert!(tiles_of(0).is_empty());
        assert_eq!(t[273].path(), "tile/0/273.p/112");
        assert_eq!(t[0].entries_path(), "tile/entries/000");
    }

    /// A level-1 hash is the root of the full level-0 tile below it,
    /// recomputed here from the level-0 tile's bytes alone.
    #[test]
    fn a_level_one_hash_is_the_root_of_the_tile_below() {
        let mut tree = MemoryTree::new();
        for i in 0..600u32 {
            tree.push(&i.to_be_bytes());
        }
        let tiles = tiles_of(600);
        let t0 = hash_tile(&tree, &tiles[1]).unwrap();
        let mut level: Vec<Hash> = t0.chunks(32).map(|c| c.try_into().unwrap()).collect();
        while level.len() > 1 {
            level = level.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
        }
        let l1 = tiles.iter().find(|t| t.level == 1).unwrap();
        assert_eq!(l1.width, 2);
        let t1 = hash_tile(&tree, l1).unwrap();
        assert_eq!(&t1[32..64], &level[0]);
        assert_eq!(
            node_hash(t1[..32].try_into().unwrap(), &level[0]),
            root(&tree, 512).unwrap()
        );
    }

    /// Every tile of a tree parses back from its path and is in that tree;
    /// other spellings of the same tile are refused.
    #[test]
    fn tile_paths_parse_back_strictly() {
        for size in [1, 255, 256, 257, 70_000] {
            for t in tiles_of(size) {
                assert_eq!(parse_tile_path(&t.path()), Some((TileKind::Hashes, t)));
                assert!(t.is_in_tree_of(size), "{t:?} in {size}");
                if t.level == 0 {
                    assert_eq!(
                        parse_tile_path(&t.entries_path()),
                        Some((TileKind::Entries, t))
                    );
                }
            }
        }
        let t = parse_tile_path("tile/2/x001/x234/067.p/7").unwrap().1;
        assert_eq!((t.level, t.index, t.width), (2, 1_234_067, 7));
        assert!(!t.is_in_tree_of(1_000));
        for bad in [
            "tile/0/5",
            "tile/0/0005",
            "tile/0/x000/005",
            "tile/0/001/002",
            "tile/0/x001",
            "tile/00/000",
            "tile/8/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tile/entries/000.p/",
            "tiles/0/000",
            "tile/0/-01",
            "tile/0/x001/x002",
        ] {
            assert_eq!(parse_tile_path(bad), None, "{bad}");
        }
        // A partial tile of another width is not this tree's.
        let p = parse_tile_path("tile/0/000.p/5").unwrap().1;
        assert!(p.is_in_tree_of(5) && !p.is_in_tree_of(6) && !p.is_in_tree_of(256));
    }

    #[test]
    fn entry_bundles_length_prefix_and_refuse_large_entries() {
        let b = entry_bundle([(0, vec![7; 3]), (1, vec![])]).unwrap();
        assert_eq!(b, [0, 3, 7, 7, 7, 0, 0]);
        assert!(entry_bundle([(9, vec![0; MAX_BUNDLED_ENTRY])]).is_ok());
        match entry_bundle([(0, vec![]), (9, vec![0; MAX_BUNDLED_ENTRY + 1])]) {
            Err(TileError::EntryTooLarge { seq: 9, len }) => assert_eq!(len, 65_536),
            other => panic!("{other:?}"),
        }
    }
}
