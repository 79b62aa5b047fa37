//! The set of row keys a part holds: millions of 128-bit values that are
//! already random (pseudonyms, [`KeyHasher`](crate::KeyHasher) hashes),
//! inserted once per row while a file is read.

/// Row keys in one flat table, probed linearly from where a key lands: an
/// insert into a set of millions reads one cache line, most of the time,
/// where a general hash set reads its control bytes and then its slot.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    /// A power of two of slots, or none; `0` marks an empty slot.
    slots: Vec<u128>,
    /// Keys in `slots`.
    len: usize,
    /// Whether the key `0`, which cannot be kept in a slot, is in the set.
    zero: bool,
}

impl KeySet {
    /// An empty set.
    #[must_use]
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// Keys in the set.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len + usize::from(self.zero)
    }

    /// Whether the set has no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `additional` more keys without growing.
    pub fn reserve(&mut self, additional: usize) {
        let needed = (self.len + additional).saturating_mul(4) / 3 + 1;
        if needed > self.slots.len() {
            self.rehash(needed.next_power_of_two().max(16));
        }
    }

    /// Adds `key`; returns whether it was new.
    pub fn insert(&mut self, key: u128) -> bool {
        if key == 0 {
            return !std::mem::replace(&mut self.zero, true);
        }
        // At most three quarters full: probe runs stay short.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.rehash((self.slots.len() * 2).max(16));
        }
        let i = self.probe(key);
        if self.slots[i] == key {
            return false;
        }
        self.slots[i] = key;
        self.len += 1;
        true
    }

    /// Adds `keys` in order, pushing to `fresh` whether each was new (the
    /// same as [`KeySet::insert`] one after another). The slot of every key
    /// is read first, in a loop whose loads do not wait for one another:
    /// the processor then fetches many cache lines at once, where inserting
    /// one key after another would wait for memory once per key.
    pub fn insert_all(&mut self, keys: &[u128], fresh: &mut Vec<bool>) {
        self.reserve(keys.len());
        if !self.slots.is_empty() {
            let touched = keys
                .iter()
                .fold(0u128, |acc, &key| acc ^ self.slots[self.home(key)]);
            std::hint::black_box(touched);
        }
        fresh.extend(keys.iter().map(|&key| self.insert(key)));
    }

    /// Adds every key of `other`. Room for all of them is made first: the
    /// keys come in `other`'s slot order, which is the order of their homes
    /// here too (the same hash), so a table that grew while they came would
    /// take them all at its front, in one run that every insert walks to
    /// the end (quadratic). With the room made first they spread as they
    /// did in `other`, and each insert probes a few slots.
    pub fn merge(&mut self, other: &KeySet) {
        self.reserve(other.len());
        for key in other.iter() {
            self.insert(key);
        }
    }

    /// Whether `key` is in the set.
    #[must_use]
    pub fn contains(&self, key: u128) -> bool {
        if key == 0 {
            return self.zero;
        }
        !self.slots.is_empty() && self.slots[self.probe(key)] == key
    }

    /// The keys, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = u128> + '_ {
        self.zero
            .then_some(0)
            .into_iter()
            .chain(self.slots.iter().copied().filter(|&k| k != 0))
    }

    /// The slot a key is looked for first: the top bits of a multiplicative
    /// hash of both halves, so that keys that differ in any bit spread.
    fn home(&self, key: u128) -> usize {
        // Truncation intended: the halves are folded together.
        let folded = (key as u64) ^ ((key >> 64) as u64);
        let bits = self.slots.len().trailing_zeros();
        (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
    }

    /// The slot that holds `key`, or else the empty one where it would go:
    /// the first of either from its home on. The table must have slots,
    /// one of them empty, and `key` must not be `0`.
    fn probe(&self, key: u128) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i] != key && self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    fn rehash(&mut self, slots: usize) {
        // Zeros written, not allocated zeroed: the kernel would map fresh
        // pages to its shared zero page, and each probe's read and then
        // write would fault twice and flush every thread's TLB.
        #[allow(clippy::slow_vector_initialization)]
        let mut fresh = Vec::with_capacity(slots);
        fresh.resize(slots, 0);
        let old = std::mem::replace(&mut self.slots, fresh);
        self.len = 0;
        for key in old.into_iter().filter(|&k| k != 0) {
            self.insert(key);
        }
    }
}

impl Extend<u128> for KeySet {
    /// Adds keys one by one; room for as many as the iterator says it has
    /// is made first (see [`KeySet::merge`] for why that matters).
    fn extend<I: IntoIterator<Item = u128>>(&mut self, keys: I) {
        let keys = keys.into_iter();
        self.reserve(keys.size_hint().0);
        for key in keys {
            self.insert(key);
        }
    }
}

impl FromIterator<u128> for KeySet {
    fn from_iter<I: IntoIterator<Item = u128>>(keys: I) -> KeySet {
        let mut set = KeySet::new();
        set.extend(keys);
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn agrees_with_a_hash_set() {
        // Random keys, keys that differ in one low or high bit, zero, and repeats.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut keys = Vec::new();
        for i in 0..50_000u128 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            keys.push((u128::from(state) << 64) | u128::from(state.rotate_left(17)));
            keys.push(i);
            keys.push(i << 100);
            keys.push(keys[(state % keys.len() as u64) as usize]);
        }
        let mut ours = KeySet::new();
        ours.reserve(1000);
        let mut reference = HashSet::new();
        let (one_by_one, in_chunks) = keys.split_at(keys.len() / 2);
        for &k in one_by_one {
            assert_eq!(ours.insert(k), reference.insert(k), "{k}");
        }
        for chunk in in_chunks.chunks(777) {
            let mut fresh = Vec::new();
            ours.insert_all(chunk, &mut fresh);
            let expected: Vec<bool> = chunk.iter().map(|&k| reference.insert(k)).collect();
            assert_eq!(fresh, expected);
        }
        assert_eq!(ours.len(), reference.len());
        assert!(ours.contains(0) && ours.contains(1 << 100));
        assert!(!ours.contains(u128::MAX));
        let mut listed: Vec<u128> = ours.iter().collect();
        let mut expected: Vec<u128> = reference.into_iter().collect();
        listed.sort_unstable();
        expected.sort_unstable();
        assert_eq!(listed, expected);
        assert!(KeySet::new().is_empty() && !KeySet::new().contains(5));
    }

    /// `n` pseudo-random keys from `seed` (xorshift: no two alike in practice).
    fn random_keys(seed: u64, n: usize) -> Vec<u128> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let high = state;
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (u128::from(high) << 64) | u128::from(state)
            })
            .collect()
    }

    #[test]
    fn merging_parts_in_slot_order_takes_linear_time() {
        // Several parts of a table, each a key set of its own, merged newest
        // first as the commit does: every part's keys in its slot order.
        // Each part shares a third of its keys with the next, as a newer
        // extract shares records with an older one.
        const PER_PART: usize = 1_000_000;
        let mut parts = Vec::new();
        for seed in 0..4u64 {
            let mut keys = random_keys(0x5eed + seed, PER_PART);
            if let Some(previous) = parts.last() {
                let previous: &Vec<u128> = previous;
                keys[..PER_PART / 3].copy_from_slice(&previous[PER_PART - PER_PART / 3..]);
            }
            parts.push(keys);
        }
        let sets: Vec<KeySet> = parts.iter().map(|k| k.iter().copied().collect()).collect();
        let started = std::time::Instant::now();
        let mut merged = KeySet::new();
        for set in sets.iter().rev() {
            merged.merge(set);
        }
        let took = started.elapsed();
        // Unoptimised, a linear merge of these 4 M keys takes well under a
        // second; merging into a table that grows as the keys come (the
        // quadratic case) took minutes, even optimised.
        assert!(
            took < std::time::Duration::from_secs(20),
            "merging took {took:?}"
        );
        let reference: HashSet<u128> = parts.iter().flatten().copied().collect();
        assert_eq!(merged.len(), reference.len());
        assert!(reference.iter().all(|&k| merged.contains(k)));
        // As the commit merges staged parts: each part's keys kept as a
        // list in its set's slot order, and added to one growing set.
        let lists: Vec<Vec<u128>> = sets.iter().map(|s| s.iter().collect()).collect();
        drop(sets);
        let started = std::time::Instant::now();
        let mut extended = KeySet::new();
        for list in lists.into_iter().rev() {
            extended.extend(list);
        }
        let took = started.elapsed();
        assert!(
            took < std::time::Duration::from_secs(20),
            "adding the lists took {took:?}"
        );
        assert_eq!(extended.len(), reference.len());
        assert!(reference.iter().all(|&k| extended.contains(k)));
    }
}
